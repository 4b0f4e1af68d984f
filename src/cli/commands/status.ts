import { statusFromAgent } from "../../agent/agent-client.js";
import { formatAgentStatus, type AgentStatus } from "../../agent/agent-status.js";
import type { Settings } from "../../config/settings.js";
import { connectDocker } from "../../engine/docker-client.js";
import { observeHost } from "../../observe/index.js";
import { readImageSignatureRecords, signerSummary, type ImageSignatureRecord } from "../../image-signatures/index.js";
import { countClonePacks } from "../../source/clone-packs.js";
import { describeSigner, readSignatureRecords, type SignatureRecord } from "../../source/signer-record.js";
import { Journal, measureStateDir, StateStore, type HostState, type StateDirUsage } from "../../state/index.js";
import type { HostSnapshot, ObservedContainer } from "../../plan/types.js";
import { formatSwarmStatus, swarmStatus, type SwarmStatus } from "../../swarm/index.js";
import { EXIT } from "../exit-codes.js";
import { byCodePoint } from "../../order.js";
import { encryptedFilesByService, type EncryptedFileStatus } from "./encrypted-files-status.js";

export interface StatusReport {
  hostId: string;
  lastApplied: HostState["lastApplied"];
  lastGood: HostState["lastGood"];
  failed: HostState["failed"];
  rejected: HostState["rejected"];
  /** Set while the last good commit no longer passes and gitdock changes nothing on the host. */
  halted: HostState["halted"];
  /** Commits `gitdock retry --allow-rewind` lets through once. */
  allowRewind: HostState["allowRewind"];
  rollout: HostState["rollout"];
  /** Set when the state was rebuilt from the host after the state directory was lost. */
  rebuilt?: HostState["rebuilt"];
  stacks: { project: string; services: ServiceStatus[] }[];
  /** Under `engine: swarm`: the services of this agent, their tasks and nodes, and the state gitdock keeps in the Swarm (instead of `stacks`). */
  swarm?: SwarmStatus;
  /** Present when the running agent answered (`gitdock run`): its loop, last pass, waiting commit. */
  agent?: AgentStatus;
  /** Who signed the applied and last good commits (security.verify), by commit; absent when never verified. */
  signatures?: Record<string, SignatureRecord>;
  /** Who signed the images of the applied and last good commits (security.policy.image_signatures), by commit; absent when none were verified. */
  imageSignatures?: Record<string, ImageSignatureRecord>;
  /** The state directory's size on disk, and how many packs the clone holds (both bounded; see the README). */
  stateDir: StateDirUsage & { clonePacks: number };
}

export interface ServiceStatus {
  service: string;
  /** healthy: every replica runs and none is unhealthy; starting: some healthcheck is still starting. */
  health: "healthy" | "unhealthy" | "starting";
  containers: { name: string; commit: string | undefined; state: string; health: ObservedContainer["health"]; completed?: true }[];
  /** The service's last journal entry: what gitdock last did to it, and how that went. */
  lastAction: { at: string; commit: string; action: string; outcome: string; reason?: string } | undefined;
  /** Encrypted files of the repository the service uses (in the applied commit), and whether this host decrypts them now. */
  encrypted?: EncryptedFileStatus[];
}

/** What runs on this host and which commits are good, failed or rejected. Works without Git access. */
export async function buildStatus(settings: Settings): Promise<StatusReport> {
  const store = await StateStore.open(settings.stateDir);
  const state = await store.read();
  const docker = connectDocker(settings.dockerHost);
  const onSwarm = settings.engine === "swarm";
  const host = onSwarm ? { containers: [], networks: [], volumes: [] } : await observeHost(docker, settings.hostId);
  return {
    hostId: settings.hostId,
    lastApplied: state.lastApplied,
    lastGood: state.lastGood,
    failed: state.failed,
    rejected: state.rejected,
    halted: state.halted,
    allowRewind: state.allowRewind,
    rollout: state.rollout,
    ...(state.rebuilt ? { rebuilt: state.rebuilt } : {}),
    stacks: withEncryptedFiles(groupContainers(host, await lastActions(settings.stateDir)), await encryptedOf(settings, state)),
    ...(onSwarm ? { swarm: await swarmStatus(docker, settings.hostId) } : {}),
    signatures: await signaturesOf(settings.stateDir, [state.lastApplied?.commit, state.lastGood?.commit]),
    imageSignatures: await imageSignaturesOf(settings.stateDir, [state.lastApplied?.commit, state.lastGood?.commit]),
    stateDir: { ...(await measureStateDir(settings.stateDir)), clonePacks: await countClonePacks(settings.stateDir) },
  };
}

async function encryptedOf(settings: Settings, state: HostState): Promise<Record<string, EncryptedFileStatus[]> | undefined> {
  const commit = state.lastApplied?.commit ?? state.lastGood?.commit;
  return commit === undefined ? undefined : encryptedFilesByService(settings, commit).catch(() => undefined);
}

function withEncryptedFiles(stacks: StatusReport["stacks"], byService: Record<string, EncryptedFileStatus[]> | undefined): StatusReport["stacks"] {
  if (!byService) return stacks;
  return stacks.map((s) => ({
    ...s,
    services: s.services.map((svc) => {
      const files = [...(byService[`${s.project}/${svc.service}`] ?? []), ...(byService[`${s.project}/`] ?? [])];
      return files.length ? { ...svc, encrypted: files } : svc;
    }),
  }));
}

async function imageSignaturesOf(stateDir: string, commits: (string | undefined)[]): Promise<Record<string, ImageSignatureRecord>> {
  const records = await readImageSignatureRecords(stateDir).catch(() => []);
  return Object.fromEntries(records.filter((r) => commits.includes(r.commit)).map((r) => [r.commit, r]));
}

async function signaturesOf(stateDir: string, commits: (string | undefined)[]): Promise<Record<string, SignatureRecord>> {
  const records = await readSignatureRecords(stateDir).catch(() => []);
  return Object.fromEntries(records.filter((r) => commits.includes(r.commit)).map((r) => [r.commit, r]));
}

function groupContainers(host: HostSnapshot, last: Map<string, ServiceStatus["lastAction"]>): StatusReport["stacks"] {
  const stacks = new Map<string, Map<string, ServiceStatus["containers"]>>();
  for (const c of host.containers) {
    if (!c.managed || c.previousOf !== undefined) continue;
    const services = stacks.get(c.project ?? "") ?? new Map<string, ServiceStatus["containers"]>();
    stacks.set(c.project ?? "", services);
    const list = services.get(c.service ?? "") ?? [];
    services.set(c.service ?? "", list);
    // A job's or one-shot's container that exited 0 has done what it is for.
    list.push({ name: c.name, commit: c.commit, state: c.state, health: c.health, ...(c.oneShot && c.exitCode === 0 ? { completed: true as const } : {}) });
  }
  return [...stacks]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([project, services]) => ({
      project,
      services: [...services]
        .sort(([a], [b]) => byCodePoint(a, b))
        .map(([service, containers]) => ({
          service,
          health: serviceHealth(containers),
          containers: containers.sort((a, b) => byCodePoint(a.name, b.name)),
          lastAction: last.get(`${project}/${service}`),
        })),
    }));
}

function serviceHealth(containers: ServiceStatus["containers"]): ServiceStatus["health"] {
  if (containers.some((c) => (c.state !== "running" && !c.completed) || c.health === "unhealthy")) return "unhealthy";
  return containers.some((c) => c.health === "starting") ? "starting" : "healthy";
}

/** The last journal entry per `<stack>/<service>`; status works even when the journal is damaged. */
async function lastActions(stateDir: string): Promise<Map<string, ServiceStatus["lastAction"]>> {
  const last = new Map<string, ServiceStatus["lastAction"]>();
  try {
    const journal = await Journal.open(stateDir);
    for await (const e of journal.entries()) {
      if (!e.stack || !e.service) continue;
      last.set(`${e.stack}/${e.service}`, { at: e.time, commit: e.commit, action: e.action, outcome: e.outcome, ...(e.reason ? { reason: e.reason } : {}) });
    }
  } catch {
    // A journal that cannot be read is reported by `gitdock history --verify`, not here.
  }
  return last;
}

export async function statusCommand(settings: Settings, opts: { json?: boolean }): Promise<number> {
  const report = ((await statusFromAgent(settings)) as StatusReport | undefined) ?? (await buildStatus(settings));
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return EXIT.ok;
}

function signedBy(r: StatusReport, commit: string | undefined): string[] {
  const record = commit === undefined ? undefined : r.signatures?.[commit];
  const images = commit === undefined ? undefined : r.imageSignatures?.[commit];
  return [
    ...(record ? [`  signature:  ${describeSigner(record)}`] : []),
    ...(images?.images.length ? [`  images:     ${images.images.length} signed, by ${signerSummary(images.images).join(", ")}`] : []),
  ];
}

function formatStatus(r: StatusReport): string {
  const short = (c: string | undefined) => (c ? c.slice(0, 12) : "-");
  const lines = [
    `host ${r.hostId}`,
    `last applied: ${short(r.lastApplied?.commit)}${r.lastApplied ? ` at ${r.lastApplied.at}` : ""}`,
    ...signedBy(r, r.lastApplied?.commit),
    `last good:    ${short(r.lastGood?.commit)}${r.lastGood ? ` at ${r.lastGood.at}` : ""}`,
    ...signedBy(r, r.lastGood?.commit),
  ];
  if (r.stateDir)
    lines.push(`state directory: ${r.stateDir.path}, ${formatBytes(r.stateDir.bytes)} in ${r.stateDir.files} files; clone: ${r.stateDir.clonePacks} pack(s)`);
  if (r.halted) {
    lines.push(`HALTED since ${r.halted.at}: ${r.halted.reason.split("\n")[0]}`);
    lines.push("  push a commit that passes, or undo what was tightened (security.policy, security.verify, the trust files); gitdock resumes by itself");
  }
  if (r.rebuilt) lines.push(`state rebuilt at ${r.rebuilt.at} from ${r.rebuilt.from}: ${short(r.rebuilt.commit)} (the state directory had been lost)`);
  for (const sha of r.allowRewind ?? []) lines.push(`rewind allowed once: ${short(sha)} (gitdock retry --allow-rewind)`);
  if (r.rollout) lines.push(`rollout in progress: ${short(r.rollout.commit)} since ${r.rollout.startedAt}`);
  if (r.agent) lines.push(...formatAgentStatus(r.agent));
  for (const [sha, m] of Object.entries(r.failed)) lines.push(`failed:   ${short(sha)} at ${m.at}: ${m.reason.split("\n")[0]}`);
  for (const [sha, m] of Object.entries(r.rejected)) lines.push(`rejected: ${short(sha)} at ${m.at}: ${m.reason.split("\n")[0]}`);
  if (r.swarm) lines.push(...formatSwarmStatus(r.swarm));
  for (const s of r.stacks) {
    lines.push(`stack ${s.project}`);
    for (const svc of s.services) {
      const last = svc.lastAction ? `  last: ${svc.lastAction.action} ${svc.lastAction.outcome} at ${svc.lastAction.at} (${short(svc.lastAction.commit)})` : "";
      lines.push(`  ${svc.service} ${svc.health}${last}`);
      for (const f of svc.encrypted ?? []) {
        const verdict = f.decryptable ? "this host decrypts it" : `this host cannot decrypt it: ${f.reason ?? "unknown"}`;
        lines.push(`    encrypted ${f.usedAs}: ${f.repoPath} (${f.kind}, for ${f.recipients.join(", ")}): ${verdict}`);
      }
      for (const c of svc.containers) {
        const health = c.completed ? " (completed)" : c.health === "none" ? "" : ` (${c.health})`;
        lines.push(`    ${c.name.padEnd(30)} ${`${c.state}${health}`.padEnd(20)} ${short(c.commit)}`);
      }
    }
  }
  return lines.join("\n");
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(1)} ${units[unit]}`;
}
