import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { agentSectionDefaults, agentSectionSchema, parseListen } from "../../src/config/agent-section.js";
import { manifestSectionDefaults, manifestSectionSchema } from "../../src/config/manifest-section.js";
import { agentConfigSchema } from "../../src/config/config-schema.js";
import { loadSettings, readConfigFile } from "../../src/config/load-settings.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Agent configs among the examples: everything under examples/agent/, and any config.y(a)ml. */
const agentConfigs = yamlFiles(join(ROOT, "examples"))
  .map((f) => relative(ROOT, f))
  .filter((f) => f.startsWith("examples/agent/") || /(^|\/)config\.ya?ml$/.test(f));

describe("agent config examples", () => {
  it("include examples/agent/config.yaml", () => {
    expect(agentConfigs).toContain("examples/agent/config.yaml");
  });

  it.each(agentConfigs)("%s validates against the config schema", async (file) => {
    const parsed = agentConfigSchema.safeParse(parse(readFileSync(join(ROOT, file), "utf8")));
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues, null, 2)).toBe(true);
    await expect(readConfigFile(join(ROOT, file))).resolves.toBeTruthy();
  });

  it("examples/agent/config.yaml shows every agent: key", async () => {
    const example = (await readConfigFile(join(ROOT, "examples/agent/config.yaml"))).agent as Record<string, unknown>;
    for (const key of Object.keys(agentSectionSchema.shape)) expect(example, key).toHaveProperty(key);
    for (const [section, keys] of [
      ["webhook", ["secret_file", "max_body_bytes"]],
      ["backoff", ["initial", "max"]],
      ["repair_budget", ["max", "window"]],
    ] as const) {
      for (const key of keys) expect(example[section], `${section}.${key}`).toHaveProperty(key);
    }
  });
});

describe("agent config section", () => {
  it("has defaults for everything", () => {
    expect(agentSectionDefaults(undefined)).toEqual({
      intervalMs: 60_000,
      jitter: 0.1,
      listen: { host: "127.0.0.1", port: 9380 },
      allowedHosts: [],
      webhook: { secretFile: undefined, maxBodyBytes: 1_048_576 },
      syncWindows: [],
      shutdownTimeoutMs: 120_000,
      backoff: { initialMs: 2_000, maxMs: 300_000 },
      repairBudget: { max: 5, windowMs: 600_000 },
      dockerEvents: true,
      watchRepo: true,
    });
  });

  it("converts durations and windows", () => {
    const raw = agentSectionSchema.parse({
      interval: "5m",
      shutdown_timeout: "1m30s",
      backoff: { initial: "500ms", max: "1h" },
      sync_windows: [{ kind: "allow", schedule: "0 9 * * 1-5", duration: "8h" }],
    });
    const s = agentSectionDefaults(raw);
    expect(s.intervalMs).toBe(300_000);
    expect(s.shutdownTimeoutMs).toBe(90_000);
    expect(s.backoff).toEqual({ initialMs: 500, maxMs: 3_600_000 });
    expect(s.syncWindows).toEqual([{ kind: "allow", schedule: "0 9 * * 1-5", durationMs: 28_800_000, driftRepair: true }]);
  });

  it.each([
    [{ interval: "0s" }, "interval"],
    [{ interval: "soon" }, "interval"],
    [{ jitter: 2 }, "jitter"],
    [{ listen: "9380" }, "listen"],
    [{ listen: "127.0.0.1:70000" }, "listen"],
    [{ webhook: { max_body_bytes: 10 } }, "webhook.max_body_bytes"],
    [{ webhook: { secret: "inline secrets are not allowed" } }, "webhook"],
    [{ sync_windows: [{ kind: "deny", schedule: "61 * * * *", duration: "1h" }] }, "sync_windows.0.schedule"],
    [{ repair_budget: { max: -1 } }, "repair_budget.max"],
    [{ pollinterval: "1m" }, ""],
    [{ allowed_hosts: "gitdock.example.com" }, "allowed_hosts"],
    [{ allowed_hosts: ["https://gitdock.example.com"] }, "allowed_hosts.0"],
    [{ allowed_hosts: ["gitdock.example.com:443"] }, "allowed_hosts.0"],
    [{ allowed_hosts: ["*.example.com"] }, "allowed_hosts.0"],
    [{ allowed_hosts: [""] }, "allowed_hosts.0"],
  ])("rejects %j at %s", (raw, where) => {
    const r = agentConfigSchema.safeParse({ agent: raw });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain(where ? `agent.${where}` : "agent");
  });

  it("allowed_hosts: host names and IP addresses, compared in lower case without brackets or a trailing dot", () => {
    const raw = agentSectionSchema.parse({ allowed_hosts: ["Hooks.Example.com.", "10.0.0.5", "[2001:DB8::1]", "::1", "gitdock_agent"] });
    expect(agentSectionDefaults(raw).allowedHosts).toEqual(["hooks.example.com", "10.0.0.5", "2001:db8::1", "::1", "gitdock_agent"]);
  });

  it("flags win over the file", async () => {
    // The one place flags are applied is loadSettings (src/config/apply-flags.ts), so the file is a real one.
    const dir = mkdtempSync(join(tmpdir(), "gdt-config-"));
    try {
      writeFileSync(join(dir, "config.yaml"), "agent:\n  interval: 10m\n  listen: 0.0.0.0:9380\n");
      const load = async (flags: Parameters<typeof loadSettings>[0]) =>
        (await loadSettings({ config: join(dir, "config.yaml"), stateDir: join(dir, "state"), ...flags })).agent;
      const file = agentSectionDefaults(agentSectionSchema.parse({ interval: "10m", listen: "0.0.0.0:9380" }));
      const s = await load({ interval: "1h", listen: "127.0.0.1:0", shutdownTimeout: "5s", webhookSecretFile: "/run/secret" });
      expect(s).toMatchObject({
        intervalMs: 3_600_000,
        listen: { host: "127.0.0.1", port: 0 },
        shutdownTimeoutMs: 5_000,
        webhook: { secretFile: "/run/secret" },
      });
      expect(await load({})).toEqual(file);
      await expect(load({ interval: "often" })).rejects.toThrow(/--interval often/);
      await expect(load({ listen: "nowhere" })).rejects.toThrow(/--listen nowhere/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["127.0.0.1:9380", { host: "127.0.0.1", port: 9380 }],
    ["0.0.0.0:0", { host: "0.0.0.0", port: 0 }],
    ["[::1]:9380", { host: "::1", port: 9380 }],
    ["localhost:80", { host: "localhost", port: 80 }],
    ["9380", undefined],
    [":9380", undefined],
    ["host:99999", undefined],
  ])("parseListen(%s)", (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });
});

describe("manifest config section", () => {
  it("has defaults: variables in /etc/gitdock/env, no process environment, no profiles", () => {
    expect(manifestSectionDefaults(undefined)).toEqual({ variablesDir: "/etc/gitdock/env", variablesDirSet: false, processEnvironment: false, profiles: [] });
  });

  it("examples/agent/config.yaml shows every manifest: key", async () => {
    const example = (await readConfigFile(join(ROOT, "examples/agent/config.yaml"))).manifest as Record<string, unknown>;
    for (const key of Object.keys(manifestSectionSchema.shape)) expect(example, key).toHaveProperty(key);
  });

  it.each([
    ["outside env_file_roots", "manifest:\n  variables_dir: /srv/vars\n", /not under security.policy.env_file_roots/],
    [
      "holding the agent's own files",
      "manifest:\n  variables_dir: /etc/gitdock\nsecurity:\n  policy:\n    env_file_roots: [/etc/gitdock]\n",
      /agent's own files \(\/etc\/gitdock\/gitdock.env\)/,
    ],
  ])("refuses a variables_dir %s", async (_what, yaml, message) => {
    const dir = mkdtempSync(join(tmpdir(), "gdt-config-"));
    try {
      writeFileSync(join(dir, "config.yaml"), yaml);
      await expect(loadSettings({ config: join(dir, "config.yaml"), stateDir: join(dir, "state") })).rejects.toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
