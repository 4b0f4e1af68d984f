import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderFleetJsonSchema } from "../../src/fleet/fleet-json-schema.js";
import { generateEd25519, publicKeyLine } from "../../src/fleet/openssh-private-key.js";
import { parseFleetFile, type Fleet } from "../../src/fleet/read-fleet-file.js";
import { judgeWave, waveProgress, type HostReport } from "../../src/fleet/wave-rule.js";

const KEYS = Object.fromEntries(["canary", "web-2", "web-3", "web-4", "solo"].map((h) => [h, publicKeyLine(generateEd25519(h))]));

function fleetOf(yaml: string): Fleet {
  const parsed = parseFleetFile("fleet.yaml", yaml);
  if (!parsed.fleet) throw new Error(parsed.problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`).join("\n"));
  return parsed.fleet;
}

const hosts = ["canary", "web-2", "web-3", "web-4"].map((h) => `  ${h}: { key: "${KEYS[h]}" }`).join("\n");
const THREE_WAVES = `hosts:
${hosts}
waves:
  - { name: canary, hosts: [canary], soak: 5m }
  - { name: early, hosts: ["web-[23]", web-2, web-3], soak: 1m, report_timeout: 10m, max_unreachable: 1, on_failure: rollback }
  - { name: rest, hosts: ["*"] }
`.replace('"web-[23]", ', "");

const T0 = Date.parse("2026-11-27T10:00:00Z");
const MIN = 60_000;
const healthy = (host: string, at: number): HostReport => ({ host, verb: "applied", at, detail: "healthy" });
const failed = (host: string, at: number, detail = "health: web: http 500 on /healthz"): HostReport => ({ host, verb: "rolled-back", at, detail });

describe("the fleet file", () => {
  it("resolves ids and patterns, the first wave that names a host keeps it, and fills the defaults", () => {
    const fleet = fleetOf(THREE_WAVES);
    expect(fleet.waves.map((w) => [w.name, w.hosts])).toEqual([
      ["canary", ["canary"]],
      ["early", ["web-2", "web-3"]],
      ["rest", ["web-4"]],
    ]);
    expect(fleet.waves[0]).toMatchObject({ soakMs: 5 * MIN, reportTimeoutMs: 10 * MIN, maxFailures: 0, maxUnreachable: 0, onFailure: "hold" });
    expect(fleet.waves[1]).toMatchObject({ soakMs: MIN, maxUnreachable: 1, onFailure: "rollback" });
  });

  it("locates every problem: unknown keys, bad keys, unknown hosts, a host written into two waves, a duplicate wave name", () => {
    const parsed = parseFleetFile(
      "hosts/fleet.yaml",
      `hosts:
  canary: { key: "${KEYS["canary"]}" }
  web-2: { key: "ssh-ed25519 AAAAnotakey" }
waves:
  - { name: one, hosts: [canary, nobody], soak: soon }
  - { name: one, hosts: [canary], surge: 2 }
`,
    );
    expect(parsed.fleet).toBeUndefined();
    const found = parsed.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hosts\/fleet\.yaml:5:49 waves\[0\]\.soak: expected a duration/),
        expect.stringMatching(/^hosts\/fleet\.yaml:6:35 waves\[1\]\.surge: unknown key/),
      ]),
    );
    const semantic = parseFleetFile(
      "fleet.yaml",
      `hosts:
  canary: { key: "${KEYS["canary"]}" }
  web-2: { key: "ssh-ed25519 AAAAnotakey" }
waves:
  - { name: one, hosts: [canary, nobody] }
  - { name: two, hosts: [canary] }
  - { name: one, hosts: ["*"] }
`,
    ).problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
    expect(semantic).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3:17 hosts\.web-2\.key: not a usable SSH public key/),
        "5:34 waves[0].hosts[1]: nobody names no host declared under hosts",
        "6:26 waves[1].hosts[0]: canary is already in wave one",
        "7:13 waves[2].name: another wave is named one",
      ]),
    );
  });
});

describe("the wave rule", () => {
  const fleet = fleetOf(THREE_WAVES);
  const judge = (host: string, reports: HostReport[], now: number) => judgeWave({ fleet, host, reports, firstSeen: T0, now });

  it("lets the canary apply at once and holds the others until it is healthy for its soak", () => {
    expect(judge("canary", [], T0)).toEqual({ kind: "apply", wave: "canary" });
    expect(judge("web-2", [], T0)).toMatchObject({ kind: "wait", reason: "wave canary: waiting for canary to report" });
    const reports = [healthy("canary", T0 + MIN)];
    expect(judge("web-2", reports, T0 + 3 * MIN)).toMatchObject({
      kind: "wait",
      recheckAt: T0 + 6 * MIN,
      reason: expect.stringMatching(/soaking until 2026-11-27T10:06:00/),
    });
    expect(judge("web-2", reports, T0 + 6 * MIN)).toEqual({ kind: "apply", wave: "early" });
    expect(judge("web-4", reports, T0 + 6 * MIN)).toMatchObject({ kind: "wait", reason: "wave early: waiting for web-2, web-3 to report" });
  });

  it("moves the last wave once the middle one has soaked, one host of it unreachable being allowed", () => {
    const reports = [healthy("canary", T0 + MIN), healthy("web-2", T0 + 7 * MIN)];
    // web-3 never reports: early opened at 10:06 and allows one unreachable host after 10 minutes.
    expect(judge("web-4", reports, T0 + 10 * MIN)).toMatchObject({ kind: "wait", recheckAt: T0 + 16 * MIN });
    expect(judge("web-4", reports, T0 + 16 * MIN)).toEqual({ kind: "apply", wave: "rest" });
    const progress = waveProgress({ fleet, reports, firstSeen: T0, now: T0 + 16 * MIN });
    expect(progress[1]?.hosts.map((h) => h.state)).toEqual(["healthy", "unreachable"]);
    expect(progress[1]?.doneAt).toBe(T0 + 16 * MIN);
  });

  it("holds when more hosts are unreachable than allowed", () => {
    const strict = fleetOf(THREE_WAVES.replace("max_unreachable: 1", "max_unreachable: 0"));
    const v = judgeWave({ fleet: strict, host: "web-4", reports: [healthy("canary", T0), healthy("web-2", T0 + 6 * MIN)], firstSeen: T0, now: T0 + 30 * MIN });
    expect(v).toMatchObject({ kind: "wait", reason: "wave early: no report from web-3 within 600s (0 may be unreachable)", recheckAt: undefined });
  });

  it("holds a commit fleet-wide when the canary fails it: later waves never apply it", () => {
    const reports = [failed("canary", T0 + MIN)];
    for (const host of ["web-2", "web-4"]) {
      expect(judge(host, reports, T0 + 60 * MIN)).toMatchObject({
        kind: "held",
        failedWave: "canary",
        host: "canary",
        rollBack: false,
        reason: "held fleet-wide: canary (wave canary) reported it failed: health: web: http 500 on /healthz",
      });
    }
  });

  it("rolls back the earlier waves when a wave with on_failure rollback fails, and not the later ones", () => {
    const reports = [healthy("canary", T0), healthy("web-2", T0 + 6 * MIN), failed("web-3", T0 + 7 * MIN)];
    expect(judge("canary", reports, T0 + 8 * MIN)).toMatchObject({ kind: "held", rollBack: true, failedWave: "early" });
    expect(judge("web-2", reports, T0 + 8 * MIN)).toMatchObject({ kind: "held", rollBack: true });
    expect(judge("web-4", reports, T0 + 8 * MIN)).toMatchObject({ kind: "held", rollBack: false });
  });

  it("counts a host's latest line: healthy, then rolled back is failed", () => {
    const reports = [healthy("canary", T0), failed("canary", T0 + 2 * MIN)];
    expect(judge("web-2", reports, T0 + 60 * MIN)).toMatchObject({ kind: "held" });
  });

  it("lets failures within max_failures through", () => {
    const lenient = fleetOf(THREE_WAVES.replace("max_unreachable: 1", "max_unreachable: 1, max_failures: 1"));
    const reports = [healthy("canary", T0), healthy("web-2", T0 + 6 * MIN), failed("web-3", T0 + 7 * MIN)];
    expect(judgeWave({ fleet: lenient, host: "web-4", reports, firstSeen: T0, now: T0 + 8 * MIN })).toEqual({ kind: "apply", wave: "rest" });
  });

  it("leaves a host no wave names free, and treats paused as not reported", () => {
    expect(judge("elsewhere", [], T0)).toEqual({ kind: "free" });
    const paused: HostReport = { host: "canary", verb: "paused", at: T0, detail: "paused" };
    expect(judge("web-2", [paused], T0 + MIN)).toMatchObject({ kind: "wait", reason: "wave canary: waiting for canary to report" });
  });
});

describe("the fleet file's JSON Schema", () => {
  it("matches the committed schema/fleet.schema.json (run `npm run schema` after changing the zod schema)", () => {
    expect(readFileSync("schema/fleet.schema.json", "utf8")).toBe(renderFleetJsonSchema());
  });
});
