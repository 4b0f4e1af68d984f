/**
 * Fleets: four agents (`gitdock run`, each with its own host id, state directory, signing key and
 * stacks under `hosts/<id>/`) on the real Engine follow one repository on the real Git server,
 * whose post-receive hook sends push webhooks for the branch and for the notes ref, as a forge
 * does. The fleet file puts them in three waves: canary (soak 2s), middle (two hosts, one may be
 * unreachable, `on_failure: rollback`), last. Every agent polls once an hour: whatever moves, moved
 * on a webhook or on the wave rule's own recheck.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519 } from "../../src/fleet/openssh-private-key.js";
import { signOutcomeLine } from "../../src/fleet/outcome-signature.js";
import { runGitdock } from "../support/cli.js";
import { containersOf, removeProjects, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { startNotifyReceiver, type NotifyReceiver } from "../support/notify-receiver.js";
import { installPushWebhooks, type PushWebhooks } from "../support/push-webhooks.js";
import { startAgent, type AgentProcess } from "./helpers/agent-process.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-fleet-";
const SECRET = "fleet-test-webhook-secret";
const HOSTS = ["c", "m1", "m2", "l"] as const;
type HostName = (typeof HOSTS)[number];
const idOf = (h: HostName) => `${P}${h}`;
const projectOf = (h: HostName) => `${P}${h}-app`;

let tmp: string;
let repo: ManifestRepo;
let hooks: PushWebhooks;
/** m1's notifications (a templated webhook for fleet events and withdrawals) land here. */
let receiver: NotifyReceiver;
const hosts = {} as Record<HostName, TestHost>;
const agents = {} as Partial<Record<HostName, AgentProcess>>;
const commits: Record<string, string> = {};

function fleetFile(keys: Record<HostName, string>): string {
  return [
    "hosts:",
    ...HOSTS.map((h) => `  ${idOf(h)}: { key: "${keys[h]}" }`),
    "waves:",
    `  - { name: canary, hosts: [${idOf("c")}], soak: 2s }`,
    `  - { name: middle, hosts: ["${P}m?"], report_timeout: 15s, max_unreachable: 1, on_failure: rollback }`,
    `  - { name: last, hosts: [${idOf("l")}] }`,
    "",
  ].join("\n");
}

/** Writes every host's stack with the image given for it. */
async function writeStacks(images: Record<HostName, string>): Promise<void> {
  for (const h of HOSTS) {
    const probe = "    x-gitdock:\n      probe:\n        http: {port: 8080, path: /healthz}\n      health_timeout: 4s";
    await repo.write(`hosts/${idOf(h)}/app/compose.yaml`, `name: ${projectOf(h)}\nservices:\n  web:\n${webService(images[h], probe)}\n`);
  }
}

const all = (image: string) => Object.fromEntries(HOSTS.map((h) => [h, image])) as Record<HostName, string>;

async function startFleetAgent(h: HostName): Promise<AgentProcess> {
  const agent = await startAgent(hosts[h], repo.url, {
    args: ["--interval", "1h", "--path", `hosts/${idOf(h)}`],
    configFile: path.join(tmp, `${h}.yaml`),
    config: [
      "report:",
      "  git_notes: true",
      `  outcome_key_file: ${path.join(tmp, "keys", h)}`,
      ...(h === "m1"
        ? [
            "  notifications:",
            "    - type: webhook",
            `      url_file: ${path.join(tmp, "notify-url")}`,
            "      events: [wave-advanced, commit-held, withdrawn]",
            "      webhook:",
            `        template: '{"event": "{{outcome}}", "commit": "{{commit}}", "wave": "{{wave}}", "host": "{{host}}", "reason": "{{reason}}"}'`,
          ]
        : []),
      "agent:",
      "  webhook:",
      `    secret_file: ${path.join(tmp, "webhook-secret")}`,
      "",
    ].join("\n"),
  });
  agents[h] = agent;
  await hooks.setUrls(Object.values(agents).map((a) => `${a.base}/hooks/git`));
  return agent;
}

async function stopFleetAgent(h: HostName): Promise<void> {
  await agents[h]?.stop("SIGTERM", 30_000);
  delete agents[h];
  await hooks.setUrls(Object.values(agents).map((a) => `${a.base}/hooks/git`));
}

/** The commit the host's web container runs (its label), once it runs. */
async function runningCommit(h: HostName): Promise<string | undefined> {
  const c = (await containersOf(projectOf(h))).find((x) => x.name === `${projectOf(h)}-web-1`);
  return c?.state === "running" ? c.labels["gitdock.commit"] : undefined;
}

async function runs(h: HostName, commit: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await runningCommit(h)) === commit, { what: `${idOf(h)} running ${commit.slice(0, 12)}`, timeoutMs });
}

/** The note lines on `commit` in the server's bare repository, signatures taken off: host → [verb, time, detail]. */
function notesOn(commit: string): { host: string; verb: string; at: string; detail: string }[] {
  let text: string;
  try {
    text = execFileSync("git", ["--git-dir", repo.bareDir, "notes", "--ref=gitdock", "show", commit], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [host = "", verb = "", at = "", ...rest] = l.replace(/ sshsig:\S+$/, "").split(" ");
      return { host, verb, at, detail: rest.join(" ") };
    });
}

async function noteSays(commit: string, h: HostName, verb: string) {
  return waitFor(() => notesOn(commit).find((n) => n.host === idOf(h) && n.verb === verb), {
    what: `${idOf(h)} ${verb} on ${commit.slice(0, 12)}`,
    timeoutMs: 60_000,
  });
}

/**
 * Why `h` waits on `commit`, once it does (and, given `until`, once its reason matches: a host may
 * first wait for the canary to report, and hold the commit only after the canary's note arrives).
 */
async function waitingReason(h: HostName, commit: string, until?: RegExp): Promise<string> {
  const a = agents[h];
  if (!a) throw new Error(`${h} is not running`);
  return waitFor(
    async () => {
      const s = (await a.get("/status")).json().agent;
      const waiting = s.waitingCommit === commit && s.phase === "idle" ? (s.waitingReason as string) : undefined;
      return waiting !== undefined && (!until || until.test(waiting)) ? waiting : undefined;
    },
    { what: `${idOf(h)} waiting on ${commit.slice(0, 12)}${until ? ` (${until.source})` : ""}`, timeoutMs: 60_000 },
  );
}

/** The notifications m1 sent for `commit`, as the template made them. */
async function notified(event: string, commit: string): Promise<Record<string, string>> {
  return waitFor(() => receiver.received.map((r) => JSON.parse(r.body) as Record<string, string>).find((b) => b["event"] === event && b["commit"] === commit), {
    what: `a ${event} notification for ${commit.slice(0, 12)}`,
    timeoutMs: 30_000,
  });
}

function triggersOf(h: HostName): string[] {
  return agents[h]!.logs()
    .filter((l) => l["stage"] === "start")
    .map((l) => String(l["triggers"]));
}

/** The triggers of the pass in which the host's wave reached it for `commit`. */
function passThatReachedWave(h: HostName, commit: string): string {
  const logs = agents[h]!.logs();
  const reached = logs.find((l) => l["stage"] === "fleet" && l["commit"] === commit && String(l["msg"]).startsWith("wave "));
  return String(logs.find((l) => l["stage"] === "start" && l["pass"] === reached?.["pass"])?.["triggers"]);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
  await writeFile(path.join(tmp, "webhook-secret"), `${SECRET}\n`, { mode: 0o600 });
  await mkdir(path.join(tmp, "keys"));
  receiver = await startNotifyReceiver();
  await writeFile(path.join(tmp, "notify-url"), `${receiver.root}/fleet\n`, { mode: 0o600 });
  const keys = {} as Record<HostName, string>;
  for (const h of HOSTS) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", idOf(h), "-f", path.join(tmp, "keys", h)]);
    keys[h] = (await readFile(path.join(tmp, "keys", `${h}.pub`), "utf8")).trim();
  }
  repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}manifests`);
  hooks = await installPushWebhooks(repo.bareDir, SECRET);
  for (const h of HOSTS) hosts[h] = await createTestHost({ prefix: `${idOf(h)}-`, repo: repo.url });
  await repo.write("fleet.yaml", fleetFile(keys));
  await writeStacks(all(testEnv().images["web-v1"]));
  commits["v1"] = await repo.commit("fleet: three waves, v1 everywhere");
}, 120_000);

afterAll(async () => {
  for (const h of HOSTS) await agents[h]?.stop("SIGTERM", 30_000).catch(() => undefined);
  for (const h of HOSTS) await hosts[h]?.dispose();
  await removeProjects(P);
  await receiver?.close();
  await repo?.dispose();
  await rm(tmp, { recursive: true, force: true });
}, 120_000);

describe("a fleet in three waves, coordinated through git notes", () => {
  it("moves a good commit wave by wave: the canary, then the middle after its soak, then the last", async () => {
    const v1 = commits["v1"]!;
    for (const h of HOSTS) await startFleetAgent(h);
    for (const h of HOSTS) await runs(h, v1);
    for (const h of HOSTS) await noteSays(v1, h, "applied");
    const at = (h: HostName) => Date.parse(notesOn(v1).find((n) => n.host === idOf(h) && n.verb === "applied")?.at ?? "");
    // The notes' times show the order and the canary's soak (times are to the second).
    expect(at("m1")).toBeGreaterThanOrEqual(at("c") + 2000);
    expect(at("m2")).toBeGreaterThanOrEqual(at("c") + 2000);
    expect(at("l")).toBeGreaterThanOrEqual(Math.max(at("m1"), at("m2")));
    // Every outcome line is signed.
    const raw = execFileSync("git", ["--git-dir", repo.bareDir, "notes", "--ref=gitdock", "show", v1], { encoding: "utf8" });
    expect(
      raw
        .trim()
        .split("\n")
        .every((l) => / sshsig:[A-Za-z0-9+/=]+$/.test(l)),
    ).toBe(true);
    // The middle wave moved when the canary's soak ended (the wave rule's recheck), the last wave on
    // the middle wave's notes push (a webhook): no poll ever ran.
    expect(passThatReachedWave("m1", v1)).toMatch(/recheck/);
    expect(passThatReachedWave("l", v1)).toMatch(/webhook/);
    expect(await notified("wave-advanced", v1)).toMatchObject({ wave: "middle" });
    for (const h of HOSTS) expect(triggersOf(h).some((t) => t.includes("poll"))).toBe(false);
  });

  it("never applies a commit the canary failed: the others hold it fleet-wide and say why", async () => {
    await writeStacks(all(testEnv().images["web-unhealthy"]));
    const bad = (commits["bad"] = await repo.commit("web-unhealthy everywhere"));
    await noteSays(bad, "c", "rolled-back");
    await runs("c", commits["v1"]!);
    for (const h of ["m1", "m2", "l"] as const) {
      expect(await waitingReason(h, bad, /^held fleet-wide: /)).toMatch(new RegExp(`^held fleet-wide: ${idOf("c")} \\(wave canary\\) reported it failed: `));
      expect(await runningCommit(h)).toBe(commits["v1"]);
    }
    expect(notesOn(bad).map((n) => n.host)).toEqual([idOf("c")]);
    expect(await notified("commit-held", bad)).toMatchObject({ host: idOf("c"), reason: expect.stringMatching(/^held fleet-wide: /) });
    // An auditor sees the same from Git alone.
    const status = await runGitdock(["fleet", "status", "--repo", repo.url, "--cache-dir", path.join(tmp, "fleet-cache"), "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const held = JSON.parse(status.stdout).commits.find((c: { commit: string }) => c.commit === bad);
    expect(held.held).toMatchObject({ wave: "canary", host: idOf("c"), reason: expect.stringMatching(/^held fleet-wide: /) });
  });

  it("supersedes the held commit with a new one; when a middle host fails it, on_failure rollback brings the earlier hosts back", async () => {
    const v1 = commits["v1"]!;
    await writeStacks({ c: testEnv().images["web-v2"], m1: testEnv().images["web-v2"], m2: testEnv().images["web-unhealthy"], l: testEnv().images["web-v2"] });
    const v2 = (commits["v2"] = await repo.commit("v2; m2's image is broken"));
    await noteSays(v2, "c", "applied");
    await noteSays(v2, "m2", "rolled-back");
    const withdrawnC = await noteSays(v2, "c", "withdrawn");
    const withdrawnM1 = await noteSays(v2, "m1", "withdrawn");
    expect(withdrawnC.detail).toMatch(new RegExp(`^held fleet-wide: ${idOf("m2")} \\(wave middle\\) reported it failed: `));
    expect(withdrawnM1.detail).toBe(withdrawnC.detail);
    expect(await notified("withdrawn", v2)).toMatchObject({ host: idOf("m1"), reason: withdrawnM1.detail });
    for (const h of ["c", "m1", "m2"] as const) await runs(h, v1);
    expect(await waitingReason("l", v2)).toMatch(/^held fleet-wide: /);
    expect(await runningCommit("l")).toBe(v1);
    expect(notesOn(v2).some((n) => n.host === idOf("l"))).toBe(false);
  });

  it("counts only lines signed with the fleet file's key: a forged line does not advance a wave, and a silent canary holds it", async () => {
    await stopFleetAgent("c");
    await stopFleetAgent("m2");
    await writeStacks(all(testEnv().images["web-v3"]));
    const v3 = (commits["v3"] = await repo.commit("v3 everywhere"));
    // Forged: the canary's line without a signature, and one signed by a key the fleet file does not list.
    const line = `${idOf("c")} applied ${new Date(Date.now() - 60_000).toISOString().slice(0, 19)}Z healthy`;
    const forged = signOutcomeLine(generateEd25519("intruder"), v3, line.replace(" healthy", " healthy "));
    await repo.git(["fetch", "-q", "origin", "+refs/notes/gitdock:refs/notes/gitdock"]);
    await repo.git(["notes", "--ref=gitdock", "append", "-m", line, v3]);
    await repo.git(["notes", "--ref=gitdock", "append", "-m", forged, v3]);
    await repo.git(["push", "-q", "origin", "refs/notes/gitdock"]);
    const reason = await waitingReason("m1", v3);
    expect(reason).toBe(`wave canary: waiting for ${idOf("c")} to report`);
    const ignored = agents.m1!.logs().filter((l) => l["stage"] === "fleet" && l["commit"] === v3 && l["host"] === idOf("c"));
    expect(ignored.map((l) => l["why"]).sort()).toEqual(["other-key", "unsigned"]);
    expect(await runningCommit("m1")).toBe(commits["v1"]);
    expect(await waitingReason("l", v3)).toMatch(/^wave canary: /);
  });

  it("goes on without a middle host that does not report within its timeout (one may be unreachable)", async () => {
    const v3 = commits["v3"]!;
    await startFleetAgent("c");
    await runs("c", v3);
    await runs("m1", v3);
    // m2 is stopped: after middle's report_timeout (15s) it counts as unreachable, and the last wave goes on.
    await runs("l", v3, 90_000);
    expect(await runningCommit("m2")).toBe(commits["v1"]);
    const m1 = await noteSays(v3, "m1", "applied");
    const l = await noteSays(v3, "l", "applied");
    expect(Date.parse(l.at)).toBeGreaterThanOrEqual(Date.parse(m1.at) + 10_000); // the wait for m2's report
    // Back, m2 finds its wave's turn long come.
    await startFleetAgent("m2");
    await runs("m2", v3);
  }, 180_000);
});
