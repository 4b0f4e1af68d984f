/**
 * `${VAR}` interpolation with Compose's syntax and meaning, values from the stack's `.env` and the
 * host's variables file (the host wins), types after substitution, and the host's values kept out
 * of every message. (These tests used to assert that `${VAR}` was refused; interpolation is now
 * supported, and the `$$` assertions kept below still hold.)
 */
import { describe, expect, it } from "vitest";
import { HostVariableMissingError, ManifestInvalidError } from "../../src/errors.js";
import { FILE, IMAGE, hostVariables, loadError, loadWith, web, webFile } from "../fixtures/manifest/helpers.js";

const ENV = "stacks/app/.env";

function withEnv(compose: string, env?: string) {
  return [{ path: FILE, content: compose }, ...(env === undefined ? [] : [{ path: ENV, content: env }])];
}

function service(compose: string, env?: string, host?: Record<string, string>) {
  const { stacks } = loadWith(withEnv(compose, env), host ? { hostVariables: hostVariables(host) } : {});
  const svc = stacks[0]?.services.find((s) => s.name === "web");
  if (!svc) throw new Error("no service web");
  return svc;
}

describe("manifest: interpolation syntax (Compose's meaning)", () => {
  const env = "SET=value\nEMPTY=\nTAG=1.27\n";
  it.each([
    ["${VAR}", "${SET}", "value"],
    ["$VAR", "$SET", "value"],
    ["$VAR followed by text", "$SET.x", "value.x"],
    ["${VAR:-default} when set", "${SET:-d}", "value"],
    ["${VAR:-default} when empty", "${EMPTY:-d}", "d"],
    ["${VAR:-default} when unset", "${NOPE:-d}", "d"],
    ["${VAR-default} when empty keeps empty", "${EMPTY-d}", ""],
    ["${VAR-default} when unset", "${NOPE-d}", "d"],
    ["${VAR:+alt} when set", "${SET:+alt}", "alt"],
    ["${VAR:+alt} when empty", "${EMPTY:+alt}", ""],
    ["${VAR+alt} when empty", "${EMPTY+alt}", "alt"],
    ["${VAR+alt} when unset", "${NOPE+alt}", ""],
    ["${VAR:?message} when set", "${SET:?needed}", "value"],
    ["${VAR?message} when empty", "${EMPTY?needed}", ""],
    ["nested defaults", "${NOPE:-${ALSO_NOPE:-x}}", "x"],
    ["a nested default that is set", "${NOPE:-${TAG}}", "1.27"],
    ["several references in one string", "a-${SET}-$TAG-${NOPE:-z}", "a-value-1.27-z"],
    ["$$ is a literal $", "$$SET", "$SET"],
    ["$${VAR} is literal", "$${SET}", "${SET}"],
    ["a $ before a non-name is literal", "costs 5$ and $1", "costs 5$ and $1"],
  ])("%s", (_what, written, expected) => {
    const svc = service(webFile(`environment: {A: '${written}'}`), env);
    expect(svc.container.environment["A"]).toBe(expected);
  });

  it("unescapes $$ once in values shared through an anchor", () => {
    expect(web("environment: {A: &v 'x$$y', B: *v}").container.environment).toEqual({ A: "x$y", B: "x$y" });
  });

  it("never interpolates keys", () => {
    const svc = service(webFile("labels: {'${SET}': x}"), "SET=value\n");
    expect(svc.container.labels).toEqual({ "${SET}": "x" });
  });

  it.each([
    ["an operator Compose does not have", "${SET/a/b}", /invalid interpolation: .*only :- - :\? \? :\+ \+/],
    ["a brace that is never closed", "pre-${SET", /never closed/],
    ["a name that does not start right", "${1X}", /does not start with a variable name/],
  ])("refuses %s, at the value", (_what, written, message) => {
    const err = loadError(withEnv(webFile(`hostname: '${written}'`), "SET=v\n"));
    expect(err).toBeInstanceOf(ManifestInvalidError);
    expect(err.problems).toEqual([
      expect.objectContaining({ file: FILE, path: "services.web.hostname", line: 4, col: 15, message: expect.stringMatching(message) }),
    ]);
  });
});

describe("manifest: where values come from", () => {
  it("takes the repository's .env next to the stack's files", () => {
    expect(service(webFile("hostname: ${HOST}"), "HOST=box\n").container.hostname).toBe("box");
  });

  it("lets the host's variables file win over .env", () => {
    expect(service(webFile("hostname: ${HOST}"), "HOST=box\n", { HOST: "host-box" }).container.hostname).toBe("host-box");
  });

  it("reads the agent's own environment only when asked, and never GITDOCK_* names", () => {
    const files = withEnv(webFile("environment: {A: '${SHELL_ONLY:-unset}', B: '${GITDOCK_GIT_PASSWORD:-hidden}'}"));
    const processEnvironment = { SHELL_ONLY: "from-agent", GITDOCK_GIT_PASSWORD: "token" };
    const without = loadWith(files, { hostVariables: hostVariables({}) }).stacks[0]?.services[0]?.container.environment;
    const withIt = loadWith(files, { hostVariables: hostVariables({}), processEnvironment }).stacks[0]?.services[0]?.container.environment;
    expect(without).toEqual({ A: "unset", B: "hidden" });
    expect(withIt).toEqual({ A: "from-agent", B: "hidden" });
  });

  it("lets the host's file win over the agent's environment", () => {
    const files = withEnv(webFile("hostname: ${H}"));
    const stacks = loadWith(files, { hostVariables: hostVariables({ H: "from-host" }), processEnvironment: { H: "from-agent" } }).stacks;
    expect(stacks[0]?.services[0]?.container.hostname).toBe("from-host");
  });

  it("resolves name: from .env, and refuses a name only the host's file could give", () => {
    expect(loadWith(withEnv(`name: \${PROJECT}\n${webFile("")}`, "PROJECT=shop\n"), {}).stacks[0]?.project).toBe("shop");
    const err = loadError(withEnv(`name: \${PROJECT}\n${webFile("")}`), { hostVariables: hostVariables({ PROJECT: "x" }) });
    expect(err.problems).toContainEqual(
      expect.objectContaining({ path: "name", line: 1, message: expect.stringMatching(/name: may use variables from stacks\/app\/\.env only/) }),
    );
  });

  it("reports a broken .env line by its number, never its text", () => {
    const err = loadError(withEnv(webFile(""), "GOOD=1\nthis line has s3cret but no equals\n"));
    expect(err.problems).toEqual([{ file: ENV, line: 2, col: 1, path: "", message: expect.stringMatching(/expected KEY=VALUE/) }]);
    expect(JSON.stringify(err.problems)).not.toContain("s3cret");
  });
});

describe("manifest: types after substitution", () => {
  it("converts where the schema takes a number or a boolean", () => {
    const svc = service(
      webFile("healthcheck: {test: [CMD, x], retries: '${RETRIES:-3}'}\nread_only: ${RO:-false}\ninit: ${INIT}\ndeploy: {replicas: '${N:-2}'}"),
      "INIT=yes\n",
    );
    expect(svc.container.healthcheck?.retries).toBe(3);
    expect(svc.container.readOnly).toBe(false);
    expect(svc.container.init).toBe(true);
    expect(svc.replicas).toBe(2);
  });

  it("keeps strings where the schema takes strings", () => {
    const svc = service(webFile("environment: {N: '${N:-3}'}\nuser: '${UID:-1000}'\nports: ['${P:-8080}:80']"));
    expect(svc.container.environment).toEqual({ N: "3" });
    expect(svc.container.user).toBe("1000");
    expect(svc.container.ports[0]).toMatchObject({ published: "8080", target: 80 });
  });

  it("reports a substituted value that is not of the key's type, with the written text", () => {
    const err = loadError(withEnv(webFile("read_only: ${RO}"), "RO=perhaps\n"));
    expect(err.problems).toEqual([
      expect.objectContaining({ path: "services.web.read_only", message: expect.stringMatching(/expected true or false, got the string "perhaps"/) }),
    ]);
  });
});

describe("manifest: a variable nobody set", () => {
  it("on a host: names the variable and the host file to set it in, at the value; the host must act (retry), not the commit", () => {
    const err = loadError(withEnv(webFile("environment: {DB: '${DB_PASSWORD}'}")), { hostVariables: hostVariables({}, "/etc/gitdock/env/app.env") });
    expect(err).toBeInstanceOf(HostVariableMissingError);
    expect(err.code).toBe("GITDOCK_E_HOST_VARIABLE_MISSING");
    expect(err.handling).toBe("retry");
    expect(err.problems).toEqual([
      {
        file: FILE,
        line: 4,
        col: 23,
        path: "services.web.environment.DB",
        message:
          "variable DB_PASSWORD is not set: set it on the host in /etc/gitdock/env/app.env, or give a default in the file (${DB_PASSWORD:-value}) or in stacks/app/.env",
      },
    ]);
  });

  it("with ${VAR:?message}: the author's message, as written", () => {
    const err = loadError(withEnv(webFile("environment: {DB: '${DB_PASSWORD:?the database password, see ${DOCS}}'}")), {
      hostVariables: hostVariables({ DOCS: "s3cret-docs" }),
    });
    expect(err.problems[0]?.message).toMatch(/^variable DB_PASSWORD is not set \(the database password, see \$\{DOCS\}\): set it on the host in/);
  });

  it("with other problems too: one ManifestInvalidError listing all of them", () => {
    const err = loadError(withEnv(webFile("environment: {DB: '${DB_PASSWORD}'}\nrestart: sometimes")), { hostVariables: hostVariables({}) });
    expect(err).toBeInstanceOf(ManifestInvalidError);
    expect(err.problems.map((p) => p.path)).toEqual(["services.web.environment.DB", "services.web.restart"]);
  });

  it("without the host's values (gitdock validate): a located note, not a problem, and nothing built on it is judged", () => {
    const files = withEnv(webFile("environment: {DB: '${DB_PASSWORD}'}\nports: ['${HOST_PORT}:80']\nread_only: ${RO:?say true or false}"));
    const { stacks, notes } = loadWith(files, {});
    expect(stacks).toHaveLength(1);
    expect(notes).toEqual([
      expect.objectContaining({
        file: FILE,
        line: 4,
        path: "services.web.environment.DB",
        message: "variable DB_PASSWORD is not set in stacks/app/.env: the host must set it in /etc/gitdock/env/app.env",
      }),
      expect.objectContaining({ line: 5, path: "services.web.ports[0]", message: expect.stringMatching(/HOST_PORT/) }),
      expect.objectContaining({ line: 6, path: "services.web.read_only", message: expect.stringMatching(/RO is not set/) }),
    ]);
  });

  it("reports a variable an anchor's text uses once, at the anchor, naming the services", () => {
    const yaml = [
      "x-env: &env",
      "  environment: {DB: '${DB_PASSWORD}'}",
      "services:",
      ...["api", "web", "worker"].flatMap((s) => [`  ${s}:`, "    <<: *env", `    image: ${IMAGE}`]),
    ].join("\n");
    const err = loadError(withEnv(yaml), { hostVariables: hostVariables({}) });
    expect(err.problems).toEqual([
      expect.objectContaining({
        line: 2,
        col: 21,
        path: "x-env.environment.DB",
        message: expect.stringMatching(/^variable DB_PASSWORD is not set: .* \(in the anchor &env, used by services api, web, worker\)$/),
      }),
    ]);
  });
});

describe("manifest: host values never appear in messages", () => {
  it("shows what was written and names the variable and its file, never the value", () => {
    const files = withEnv(webFile("ports: ['${HOST_PORT}:80']\nhostname: '${NAME}'\ntmpfs: ['${SCRATCH}']"));
    const err = loadError(files, { hostVariables: hostVariables({ HOST_PORT: "99999", NAME: "ok", SCRATCH: "relative-s3cret" }, "/etc/gitdock/env/app.env") });
    const text = JSON.stringify(err.problems);
    expect(text).not.toContain("99999");
    expect(text).not.toContain("relative-s3cret");
    expect(err.problems.find((p) => p.path === "services.web.ports[0]")?.message).toMatch(
      /\$\{HOST_PORT\}.*the value comes from host variable HOST_PORT in \/etc\/gitdock\/env\/app\.env and is not shown/,
    );
  });

  it("masks host values in problems found later (the host policy) through the sources", () => {
    const { sources } = loadWith(withEnv(webFile("hostname: '${NAME}'")), { hostVariables: hostVariables({ NAME: "secret-host" }) });
    const [masked] = sources.maskHostValues([{ file: FILE, line: 1, col: 1, path: "x", message: "secret-host is not allowed" }]);
    expect(masked?.message).toBe("${NAME} is not allowed");
  });
});

describe("manifest: environment passed through from the host", () => {
  const host = { FROM_HOST: "h", BOTH: "host-wins" };

  it.each([
    ["a list entry with no value", "environment: [FROM_HOST, UNSET, 'SET=x']", { FROM_HOST: "h", SET: "x" }],
    ["a mapping entry with no value", "environment:\n  FROM_HOST:\n  UNSET:\n  SET: x", { FROM_HOST: "h", SET: "x" }],
  ])("takes %s from the host's variables; one set nowhere is left out, as in Compose", (_what, body, expected) => {
    expect(service(webFile(body), "UNSET=not-from-env\n", host).container.environment).toEqual(expected);
  });

  it("does not take it from the repository's .env (that is for interpolation)", () => {
    expect(service(webFile("environment: [ONLY_IN_ENV]"), "ONLY_IN_ENV=x\n", {}).container.environment).toEqual({});
  });
});
