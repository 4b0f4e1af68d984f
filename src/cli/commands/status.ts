import { statusFromAgent } from "../../agent/agent-client.js";
import { formatAgentStatus, type AgentStatus } from "../../agent/agent-status.js";
import type { Settings } from "../../config/settings.js";
import { connectDocker } from "../../engine/docker-client.js";
import { observeHost } from "../../observe/index.js";
import { describeSigner, readSignatureRecords, type SignatureRecord } from "../../source/signer-record.js";
import { StateStore, type HostState } from "../../state/index.js";
import type { HostSnapshot } from "../../plan/types.js";
import { EXIT } from "../exit-codes.js";

export interface StatusReport {
  hostId: string;
  lastApplied: HostState["lastApplied"];
  lastGood: HostState["lastGood"];
  failed: HostState["failed"];
  rejected: HostState["rejected"];
  rollout: HostState["rollout"];
  stacks: { project: string; services: { service: string; containers: { name: string; commit: string | undefined; state: string }[] }[] }[];
  /** Present when the running agent answered (`gitdock run`): its loop, last pass, waiting commit. */
  agent?: AgentStatus;
  /** Who signed the applied and last good commits (security.verify), by commit; absent when never verified. */
  signatures?: Record<string, SignatureRecord>;
}

/** What runs on this host and which commits are good, failed or rejected. Works without Git access. */
export async function buildStatus(settings: Settings): Promise<StatusReport> {
  const store = await StateStore.open(settings.stateDir);
  const state = await store.read();
  const host = await observeHost(connectDocker(settings.dockerHost), settings.hostId);
  return {
    hostId: settings.hostId,
    lastApplied: state.lastApplied,
    lastGood: state.lastGood,
    failed: state.failed,
    rejected: state.rejected,
    rollout: state.rollout,
    stacks: groupContainers(host),
    signatures: await signaturesOf(settings.stateDir, [state.lastApplied?.commit, state.lastGood?.commit]),
  };
}

async function signaturesOf(stateDir: string, commits: (string | undefined)[]): Promise<Record<string, SignatureRecord>> {
  const records = await readSignatureRecords(stateDir).catch(() => []);
  return Object.fromEntries(records.filter((r) => commits.includes(r.commit)).map((r) => [r.commit, r]));
}

function groupContainers(host: HostSnapshot): StatusReport["stacks"] {
  const stacks = new Map<string, Map<string, StatusReport["stacks"][number]["services"][number]["containers"]>>();
  for (const c of host.containers) {
    if (!c.managed || c.previousOf !== undefined) continue;
    const services = stacks.get(c.project ?? "") ?? new Map();
    stacks.set(c.project ?? "", services);
    const list = services.get(c.service ?? "") ?? [];
    services.set(c.service ?? "", list);
    list.push({ name: c.name, commit: c.commit, state: c.state });
  }
  return [...stacks].sort(([a], [b]) => a.localeCompare(b)).map(([project, services]) => ({
    project,
    services: [...services].sort(([a], [b]) => a.localeCompare(b)).map(([service, containers]) => ({
      service,
      containers: containers.sort((a, b) => a.name.localeCompare(b.name)),
    })),
  }));
}

export async function statusCommand(settings: Settings, opts: { json?: boolean }): Promise<number> {
  const report = ((await statusFromAgent(settings)) as StatusReport | undefined) ?? (await buildStatus(settings));
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return EXIT.ok;
}

function signedBy(r: StatusReport, commit: string | undefined): string[] {
  const record = commit === undefined ? undefined : r.signatures?.[commit];
  return record ? [`  signature:  ${describeSigner(record)}`] : [];
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
  if (r.rollout) lines.push(`rollout in progress: ${short(r.rollout.commit)} since ${r.rollout.startedAt}`);
  if (r.agent) lines.push(...formatAgentStatus(r.agent));
  for (const [sha, m] of Object.entries(r.failed)) lines.push(`failed:   ${short(sha)} at ${m.at}: ${m.reason.split("\n")[0]}`);
  for (const [sha, m] of Object.entries(r.rejected)) lines.push(`rejected: ${short(sha)} at ${m.at}: ${m.reason.split("\n")[0]}`);
  for (const s of r.stacks) {
    lines.push(`stack ${s.project}`);
    for (const svc of s.services) {
      for (const c of svc.containers) lines.push(`  ${svc.service.padEnd(16)} ${c.name.padEnd(28)} ${c.state.padEnd(8)} ${short(c.commit)}`);
    }
  }
  return lines.join("\n");
}
