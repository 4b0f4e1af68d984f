import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFleetStatus } from "../../src/audit/fleet/build-fleet-status.js";
import { formatFleetStatus } from "../../src/audit/fleet/format-fleet-status.js";
import type { FleetStatus } from "../../src/audit/fleet/fleet-status-types.js";
import { openFleetSource } from "../../src/audit/fleet/open-fleet-source.js";
import { generateEd25519 } from "../../src/fleet/openssh-private-key.js";
import { FleetRepo, minutesAgo, NOTES_REF, type WaveSpec } from "../support/fleet-repo.js";

const HOSTS = ["web-1", "web-2", "web-3", "web-4"];
const WAVES: WaveSpec[] = [
  { name: "canary", hosts: ["web-1"], soak: "30m", report_timeout: "10m" },
  { name: "main", hosts: ["web-2", "web-3"], report_timeout: "10m" },
  { name: "rest", hosts: ["web-4"], report_timeout: "10m" },
];
const repos: FleetRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.dispose();
});

async function fleetRepo(waves = WAVES, at = minutesAgo(600)) {
  const made = await FleetRepo.create("gdt-fleet-status-", HOSTS, waves, { at });
  repos.push(made.repo);
  return made;
}

async function statusOf(repo: FleetRepo, commits = 10, now = Date.now()): Promise<FleetStatus> {
  const source = await openFleetSource({
    repo: repo.dir,
    branch: "main",
    notesRef: NOTES_REF,
    cacheDir: path.join(repo.dir, ".cache"),
    depth: 500,
    credentials: undefined,
  });
  return (await buildFleetStatus({ ...source, branch: "main", path: "", notesRef: NOTES_REF, commits, now })).status;
}

const wave = (s: FleetStatus, commit: string, name: string) => s.commits.find((c) => c.commit === commit)!.waves.find((w) => w.name === name)!;
const hostIn = (s: FleetStatus, commit: string, waveName: string, host: string) => wave(s, commit, waveName).hosts.find((h) => h.host === host)!;
const runs = (s: FleetStatus, host: string) => s.hosts.find((h) => h.host === host)!;

describe("gitdock fleet status", () => {
  let repo: FleetRepo;
  let c1: string;
  let c2: string;
  let c3: string;
  const now = Date.now();
  const iso = (m: number) => `${minutesAgo(m, now).toISOString().slice(0, 19)}Z`;

  beforeAll(async () => {
    ({ repo, first: c1 } = await fleetRepo());
    const ok = (host: string, m: number) => ({ host, verb: "applied" as const, at: minutesAgo(m, now), detail: "healthy" });
    // c1 went through every wave; c2 is healthy on the canary and soaking; c3 failed on the canary.
    await repo.report(c1, ok("web-1", 590), ok("web-2", 550), ok("web-3", 549), ok("web-4", 500));
    c2 = await repo.commit("Shop 2", { at: minutesAgo(20), image: "v2" });
    await repo.report(c2, ok("web-1", 10));
    c3 = await repo.commit("Shop 3", { at: minutesAgo(5), image: "v3" });
    await repo.report(c3, { host: "web-1", verb: "rolled-back", at: minutesAgo(2), detail: "health: web: unhealthy (healthcheck exited 1)" });
  });

  it("shows a commit that moved through every wave, and what each host runs since when", async () => {
    const s = await statusOf(repo);
    expect(s.commits.map((c) => c.commit)).toEqual([c3, c2, c1]);
    for (const name of ["canary", "main", "rest"]) expect(wave(s, c1, name).done).not.toBeNull();
    expect(hostIn(s, c1, "main", "web-3")).toMatchObject({ state: "healthy", at: iso(549) });
    expect(runs(s, "web-4").runs).toMatchObject({ commit: c1, subject: "Add the fleet and the shop" });
    expect(runs(s, "web-2")).toMatchObject({ wave: "main", runs: { commit: c1 }, latest: null });
  });

  it("shows a wave soaking, and the next wave not open until the soak ends", async () => {
    const s = await statusOf(repo);
    const canary = wave(s, c2, "canary");
    expect(canary.done).toBeNull();
    expect(canary.soakingUntil).toBe(iso(10 - 30));
    expect(canary.waitingFor).toMatch(/soaking until/);
    expect(wave(s, c2, "main").opened).toBeNull();
    expect(hostIn(s, c2, "main", "web-2")).toMatchObject({ state: "waiting", why: "its wave has not opened yet" });
  });

  it("shows a held commit with the host and the check that failed it, and the host back on its previous commit", async () => {
    const s = await statusOf(repo);
    const held = s.commits.find((c) => c.commit === c3)!.held;
    expect(held).toMatchObject({ wave: "canary", host: "web-1", detail: "health: web: unhealthy (healthcheck exited 1)" });
    expect(wave(s, c3, "main").opened).toBeNull();
    expect(runs(s, "web-1")).toMatchObject({ runs: { commit: c2 }, latest: { commit: c3, verb: "rolled-back" } });
    const text = formatFleetStatus(s);
    expect(text).toContain("HELD held fleet-wide: web-1 (wave canary) reported it failed: health: web: unhealthy (healthcheck exited 1)");
    expect(text).toMatch(/web-1 +canary +[0-9a-f]{12} since/);
  });

  it("stops walking once every host's commit is known", async () => {
    const s = await statusOf(repo, 1);
    expect(s.commits).toHaveLength(1);
    expect(s.commitsRead).toBe(3); // web-1's at c2, the others' at c1
    const more = await fleetRepo(WAVES);
    const head = await more.repo.commit("newer", { at: minutesAgo(1) });
    for (const h of HOSTS) await more.repo.report(head, { host: h, verb: "applied", at: minutesAgo(0), detail: "healthy" });
    const s2 = await statusOf(more.repo, 1);
    expect(s2).toMatchObject({ commitsRead: 1, historyEnd: false });
  });
});

describe("lines that do not count", () => {
  it("ignores a forged line (another key, no signature, an unknown host): it never advances a wave", async () => {
    const { repo, first } = await fleetRepo(WAVES, minutesAgo(5));
    const stranger = generateEd25519("mallory");
    await repo.report(
      first,
      { host: "web-1", verb: "applied", at: minutesAgo(60), detail: "healthy", key: stranger },
      { host: "web-1", verb: "applied", at: minutesAgo(59), detail: "healthy", key: null },
      { host: "web-9", verb: "applied", at: minutesAgo(58), detail: "healthy", key: stranger },
    );
    const s = await statusOf(repo);
    const c = s.commits[0]!;
    expect(c.ignored).toEqual([
      { host: "web-1", why: "other-key", reason: "it is signed by another key than the fleet file lists for that host" },
      { host: "web-1", why: "unsigned", reason: "it carries no signature" },
      { host: "web-9", why: "unknown-host", reason: "the fleet file declares no such host" },
    ]);
    expect(hostIn(s, first, "canary", "web-1").state).toBe("waiting");
    expect(wave(s, first, "main").opened).toBeNull();
    expect(runs(s, "web-1").runs).toBeNull();
    expect(formatFleetStatus(s)).toContain("ignored a line of web-9: the fleet file declares no such host");
  });
});

describe("a host that does not report", () => {
  it("counts as unreachable after its wave's report_timeout and holds the next wave beyond the allowance", async () => {
    const { repo, first } = await fleetRepo(WAVES, minutesAgo(120));
    await repo.report(first, { host: "web-1", verb: "applied", at: minutesAgo(119), detail: "healthy" });
    const s = await statusOf(repo);
    // canary: web-1 healthy, soak 30m → main opens 89 min ago; web-2 reports, web-3 never does.
    expect(hostIn(s, first, "main", "web-3")).toMatchObject({ state: "unreachable", why: expect.stringMatching(/no report within 600s/) });
    expect(wave(s, first, "main").done).toBeNull();
    expect(wave(s, first, "main").waitingFor).toMatch(/no report from web-2, web-3 within 600s \(0 may be unreachable\)/);
    expect(wave(s, first, "rest").opened).toBeNull();
  });

  it("lets the next wave go on within max_unreachable", async () => {
    const waves = WAVES.map((w) => (w.name === "main" ? { ...w, max_unreachable: 1 } : w));
    const { repo, first } = await fleetRepo(waves, minutesAgo(120));
    await repo.report(
      first,
      { host: "web-1", verb: "applied", at: minutesAgo(119), detail: "healthy" },
      { host: "web-2", verb: "applied", at: minutesAgo(80), detail: "healthy" },
    );
    const s = await statusOf(repo);
    expect(hostIn(s, first, "main", "web-3").state).toBe("unreachable");
    expect(wave(s, first, "main").done).not.toBeNull();
    expect(wave(s, first, "rest").opened).not.toBeNull();
  });
});
