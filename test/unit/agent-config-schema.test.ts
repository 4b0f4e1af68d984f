import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgentConfigJsonSchema, renderAgentConfigJsonSchema } from "../../src/config/build-json-schema.js";
import { agentConfigSchema } from "../../src/config/config-schema.js";
import { CONFIG_DEFAULTS } from "../../src/config/defaults.js";
import { loadSettings, readConfigFile } from "../../src/config/load-settings.js";
import { settingsOf } from "../../src/config/settings.js";
import { ConfigInvalidError } from "../../src/errors.js";
import { readFileSync } from "node:fs";

describe("agent config: JSON Schema for editors", () => {
  it("matches the committed schema/agent-config.schema.json (run `npm run schema` after changing the zod schema)", () => {
    expect(readFileSync("schema/agent-config.schema.json", "utf8")).toBe(renderAgentConfigJsonSchema());
  });

  it("describes every top-level key, refuses unknown ones, and carries the duration grammar and the defaults", () => {
    const schema = buildAgentConfigJsonSchema() as {
      additionalProperties?: boolean;
      properties: Record<string, { properties?: Record<string, { pattern?: string; description?: string }> }>;
    };
    expect(Object.keys(schema.properties)).toEqual(Object.keys(agentConfigSchema.shape));
    expect(schema.additionalProperties).toBe(false);
    const agent = schema.properties["agent"]?.properties ?? {};
    expect(agent["interval"]?.pattern).toBe("^(?:0|(?:\\d+(?:\\.\\d+)?(?:ns|us|µs|ms|s|m|h|d|w))+)$");
    expect(agent["listen"]?.description).toContain(`(default ${CONFIG_DEFAULTS.agent.listen})`);
    expect(schema.properties["security"]?.properties?.["policy"]).toBeDefined();
  });
});

describe("agent config: the JSON Schema's defaults", () => {
  type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; default?: unknown };
  /** [path, default in CONFIG_DEFAULTS, default in the JSON Schema] for every leaf of CONFIG_DEFAULTS. */
  function leaves(node: Node | undefined, defaults: Record<string, unknown>, path: string[] = []): [string, unknown, unknown][] {
    const object = node && [node, ...(node.anyOf ?? [])].find((n) => n.properties);
    return Object.entries(defaults).flatMap(([key, value]) => {
      const property = object?.properties?.[key];
      const at = [...path, key];
      // A section under a list's property holds the defaults of each entry (report.notifications).
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return leaves(property?.items ?? property, value as Record<string, unknown>, at);
      return [[at.join("."), value, property?.default] as [string, unknown, unknown]];
    });
  }

  it("gives every default of CONFIG_DEFAULTS as its property's `default`, so editors can show it", () => {
    const found = leaves(buildAgentConfigJsonSchema(), CONFIG_DEFAULTS);
    expect(found.length).toBeGreaterThan(30);
    for (const [path, written, inSchema] of found) expect(inSchema, path).toEqual(written);
    expect(found).toContainEqual(["agent.interval", "60s", "60s"]);
  });
});

describe("agent config: one object of defaults", () => {
  it("is itself a valid config, and filling it in changes nothing: every default the settings use is in it", () => {
    // report.notify has no default but its attempts: markers are sent only where a URL is configured;
    // report.notifications holds each entry's defaults, and the list itself is empty.
    const { notify: _attemptsOnly, notifications: _eachEntry, ...report } = CONFIG_DEFAULTS.report;
    const defaults = agentConfigSchema.parse(structuredClone({ ...CONFIG_DEFAULTS, report }));
    const written = settingsOf(defaults, undefined);
    // The one difference: variables_dir written out counts as set (then it must lie under env_file_roots).
    expect(written.manifest.variablesDirSet).toBe(true);
    expect({ ...written, manifest: { ...written.manifest, variablesDirSet: false } }).toEqual(settingsOf({}, undefined));
  });
});

describe("agent config: problems with file:line:col", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gdt-config-schema-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const problemsOf = async (file: string, flags: Record<string, string> = {}) => {
    const err = await loadSettings({ config: file, stateDir: join(dir, "state"), ...flags }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return (err as ConfigInvalidError).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
  };

  it("places an unknown key on the key, a value of the wrong type and a bad duration on the value, all at once", async () => {
    const file = await write(
      "bad.yaml",
      [
        "repo: /srv/repo",
        "agent:",
        "  interval: soon",
        "  jitter: lots",
        "  pollinterval: 1m",
        "report:",
        "  notify:",
        "    url: https://x",
        "    max_attempts: 0",
        "",
      ].join("\n"),
    );
    expect(await problemsOf(file)).toEqual([
      `${file}:3:13: agent.interval: expected a duration, e.g. 10s, 5m, 1h30m, 500ms or 2d`,
      `${file}:4:11: agent.jitter: Invalid input: expected number, received string`,
      `${file}:5:3: agent.pollinterval: unknown key`,
      `${file}:7:3: report.notify.secret_file: Invalid input: expected string, received undefined`,
      `${file}:9:19: report.notify.max_attempts: Too small: expected number to be >=1`,
    ]);
  });

  it("places a zero duration, a bad sync window and a bad policy value inside lists", async () => {
    const file = await write(
      "lists.yaml",
      [
        "agent:",
        "  shutdown_timeout: 0s",
        "  sync_windows:",
        "    - kind: deny",
        '      schedule: "61 * * * *"',
        "      duration: 1h",
        "security:",
        "  policy:",
        "    bind_roots: [/srv, data]",
        "",
      ].join("\n"),
    );
    expect((await problemsOf(file)).sort()).toEqual([
      `${file}:2:21: agent.shutdown_timeout: must be greater than zero`,
      expect.stringMatching(new RegExp(`^${file}:5:17: agent\\.sync_windows\\.0\\.schedule: invalid cron expression "61 \\* \\* \\* \\*"`)),
      `${file}:9:24: security.policy.bind_roots.1: must be an absolute path`,
    ]);
  });

  it("places YAML that does not parse", async () => {
    const file = await write("broken.yaml", "agent:\n  interval: [60s\n");
    await expect(readConfigFile(file)).rejects.toThrow(new RegExp(`^${file}:3:1: not valid YAML: `));
  });

  it("names the flag, not the file, for a value a flag gave; the flag's value replaces the file's", async () => {
    const file = await write("flags.yaml", "repo: /srv/repo\nbranch: main\nagent:\n  interval: soon\n");
    expect(await problemsOf(file, { interval: "0s", path: "../up" })).toEqual([
      "--path ../up: must stay inside the repository",
      "--interval 0s: must be greater than zero",
    ]);
    const settings = await loadSettings({
      config: file,
      stateDir: join(dir, "s"),
      interval: "5m",
      repo: "/srv/other",
      branch: "next",
      path: "./hosts/h1/",
      hostId: "h9",
    });
    expect(settings).toMatchObject({
      repo: "/srv/other",
      branch: "next",
      path: "hosts/h1",
      stateDir: join(dir, "s"),
      hostId: "h9",
      agent: { intervalMs: 300_000 },
    });
  });

  it("reads a config file as written, without filling in defaults", async () => {
    const file = await write("small.yaml", "agent:\n  interval: 5m\n");
    expect(await readConfigFile(file)).toEqual({ agent: { interval: "5m" } });
  });
});
