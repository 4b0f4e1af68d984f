/**
 * Hostile input, property-based (fast-check): the manifest parser and validator, the host policy
 * over whatever passes them, and the webhook verifier. Tens of thousands of documents and requests
 * in total. The bound on time is each test's timeout; nothing here measures durations.
 *
 * What must hold:
 *  - loadManifest either returns stacks or throws ManifestInvalidError, never anything else, and
 *    every problem has a file that was given, a line and column inside that file, and a message;
 *  - whatever passes validation and the default policy is, in the model that would be applied,
 *    within the default policy (checked by an oracle written separately from the policy's rules),
 *    and whatever the oracle finds outside it the policy refuses, at a located position;
 *  - the webhook verifier never throws, never accepts a request whose signature does not match,
 *    and never echoes the secret.
 */
import { createHmac } from "node:crypto";
import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { verifyWebhook } from "../../src/agent/webhook.js";
import { ManifestInvalidError, type ManifestProblem } from "../../src/errors.js";
import { loadManifest, MAX_MANIFEST_BYTES, type ManifestFile } from "../../src/manifest/index.js";
import type { DesiredStack } from "../../src/model.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { checkPolicy } from "../../src/policy/index.js";
import { runs } from "./helpers/fuzz-runs.js";
import { applyEdits } from "./helpers/text-edits.js";

/**
 * Runs `check` as an async property that yields to the event loop now and then: a long synchronous
 * fc.assert would starve vitest's worker of its own messages.
 */
async function assertProperty<T>(arb: fc.Arbitrary<T>, numRuns: number, check: (value: T) => void): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      if (++n % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      check(value);
    }),
    { numRuns },
  );
}

const DIGEST = `sha256:${"ab".repeat(32)}`;
const IMAGES = [`nginx:1.27@${DIGEST}`, `ghcr.io/acme/web@${DIGEST}`, `127.0.0.1:5000/gitdock-test/web@${DIGEST}`, `localhost/x:1@${DIGEST}`, "nginx:latest"];

// ---- an oracle for the default policy, written without the policy's code ----------------------

const SAFE_BIND_ROOTS = ["/srv", "/var/lib/gitdock-data"];
const SAFE_SECRET_ROOTS = ["/etc/gitdock/secrets"];
const SAFE_ENV_ROOTS = ["/etc/gitdock/env"];

function under(p: string, roots: string[]): boolean {
  const n = posix.normalize(p).replace(/(.)\/+$/, "$1");
  return roots.some((r) => n === r || n.startsWith(`${r}/`));
}

/** Why the applied model would break the default policy; empty when it would not. */
function oracle(stacks: DesiredStack[]): string[] {
  const out: string[] = [];
  for (const stack of stacks) {
    for (const s of stack.secrets ?? []) if (!under(s.file, SAFE_SECRET_ROOTS)) out.push(`secret ${s.file}`);
    for (const v of stack.volumes) {
      // The local driver mounts `device` like a bind when `o` says bind, or when it is a host path.
      const device = v.driverOpts["device"];
      const bindOption = (v.driverOpts["o"] ?? "").split(",").some((o) => o.trim() === "bind" || o.trim() === "rbind");
      const local = v.driver === undefined || v.driver === "local";
      if (local && device !== undefined && (bindOption || device.startsWith("/")) && !under(device, SAFE_BIND_ROOTS)) out.push(`volume ${device}`);
    }
    for (const svc of stack.services) {
      const c = svc.container;
      if (c.privileged) out.push("privileged");
      if (c.networkMode === "host" || c.pidMode === "host" || c.ipcMode === "host") out.push("host namespace");
      if ([c.networkMode, c.pidMode, c.ipcMode].some((m) => m?.startsWith("container:"))) out.push("another container's namespace");
      if (c.networkMode === "bridge") out.push("the Engine's bridge");
      // An env file of the repository is read from the commit, not the host.
      for (const f of svc.envFiles) if (typeof f === "string" && !under(f, SAFE_ENV_ROOTS)) out.push(`env_file ${f}`);
      if (c.capAdd.length > 0) out.push("cap_add");
      if ((c.devices ?? []).length > 0) out.push("devices");
      // runc: the part before ":" is the user; numbers may carry a sign and leading zeros; empty is root.
      if (c.user !== undefined && /^(?:root|[+-]?0+)?(?::|$)/.test(c.user)) out.push("root");
      for (const m of c.mounts) if (m.type === "bind" && !under(m.source, SAFE_BIND_ROOTS)) out.push(`bind ${m.source}`);
    }
  }
  return out;
}

// ---- generators ------------------------------------------------------------------------------

const hostPath = fc.constantFrom(
  "/srv",
  "/srv/app",
  "/srv/../etc",
  "/srv/./app/",
  "//srv//x",
  "/srvx",
  "/var/lib/gitdock-data/db",
  "/var/lib/gitdock-data/../../etc",
  "/var/lib/gitdock-datax",
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run",
  "/var",
  "/",
  "/etc",
  "/etc/gitdock/secrets/db",
  "/etc/gitdock/secrets/../shadow",
  "/etc/gitdock/secretsx",
  "/home/u/.ssh",
  "/proc",
  "/dev/sda",
);

/** A service within the default policy... */
const safeService = fc.record({
  image: fc.constantFrom(...IMAGES.slice(0, 4)),
  user: fc.constantFrom<string | number>("1000", "app", "rootless", 1000, "1000:1000"),
  cap_drop: fc.subarray(["ALL", "NET_RAW"]),
  ipc: fc.constantFrom("private", "shareable", "none"),
  network_mode: fc.constantFrom("none"),
  volumes: fc.array(fc.tuple(fc.constantFrom("/srv", "/srv/app", "/srv/./x/", "//srv//y", "/var/lib/gitdock-data/db"), fc.boolean(), fc.boolean()), {
    maxLength: 3,
  }),
  env_file: fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("/etc/gitdock/env/app.env", "/etc/gitdock/env/db/x.env") },
      { weight: 1, arbitrary: fc.oneof(hostPath, fc.constant("/etc/gitdock/env/../gitdock.env")) },
    ),
    { maxLength: 2 },
  ),
  ports: fc.array(fc.constantFrom("80:80", "8080:80", "127.0.0.1:22:22", "80", "9000-9001:80-81", "53:53/udp"), { maxLength: 3 }),
  secrets: fc.subarray(["a", "b"]),
});

/** ...and the settings that may take it outside: none, one or a few of them. */
const riskyOverrides = fc.array(
  fc.oneof(
    fc.record({ privileged: fc.boolean() }),
    fc.record({ network_mode: fc.constantFrom("host", "bridge") }),
    fc.record({ pid: fc.constantFrom("host", "container:x") }),
    fc.record({ network_mode: fc.constantFrom("container:x", "none") }),
    fc.record({ ipc: fc.constantFrom("host", "private") }),
    fc.record({ user: fc.constantFrom<string | number>("root", "0", "0:0", "00", "root:wheel", 0, "rootless", "+0", "-0:-0", ":1000", "+1000", "0100") }),
    fc.record({ cap_add: fc.subarray(["NET_ADMIN", "sys_admin", "CAP_NET_RAW", "ALL", "chown"]) }),
    fc.record({ devices: fc.subarray(["/dev/ttyUSB0", "/dev/sda:/dev/xvda:r", "/dev/fuse:/dev/fuse:rwm"]) }),
    fc.record({ volumes: fc.array(fc.tuple(hostPath, fc.boolean(), fc.boolean()), { maxLength: 3 }) }),
  ),
  { minLength: 1, maxLength: 3 },
);
const risky = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: riskyOverrides });

const policyService = fc.tuple(safeService, risky).map(([base, overrides]) => {
  const s: Record<string, unknown> = Object.assign({}, base, ...overrides);
  const binds = s["volumes"] as [string, boolean, boolean][];
  s["volumes"] = binds.map(([source, ro, long], i) =>
    long ? { type: "bind", source, target: `/mnt/${i}`, read_only: ro } : `${source}:/mnt/${i}${ro ? ":ro" : ""}`,
  );
  return s;
});

const safeSecretPath = fc.constantFrom("/etc/gitdock/secrets/db", "/etc/gitdock/secrets/./api", "/etc/gitdock/secrets/x/y");

const policyDoc = fc
  .record({
    web: policyService,
    db: policyService,
    secretA: fc.oneof({ weight: 4, arbitrary: safeSecretPath }, { weight: 1, arbitrary: hostPath }),
    secretB: fc.oneof({ weight: 4, arbitrary: safeSecretPath }, { weight: 1, arbitrary: hostPath }),
    device: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostPath }),
  })
  .map(({ web, db, secretA, secretB, device }) => ({
    name: "fuzz",
    services: { web, db },
    secrets: { a: { file: secretA }, b: { file: secretB } },
    volumes: device === undefined ? { data: null } : { data: { driver_opts: { type: "none", o: "bind", device } } },
  }));

/** Random edits, as a person (or an attacker) might make them. */
const edit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 6 }),
  insert: fc.oneof(
    fc.constantFrom(
      ":",
      "- ",
      "[",
      "]",
      "{",
      "}",
      "&a ",
      "*a",
      "<<: *a\n",
      "\n  ",
      "\t",
      "'",
      '"',
      "#",
      "---\n",
      "!!binary ",
      "? ",
      "\u0000",
      "\uFEFF",
      "é",
      "𝕏",
      "${X}",
      "$$",
    ),
    fc.string({ maxLength: 4, unit: "grapheme" }),
  ),
});

/** Values of the wrong type anywhere: every key of a service gets anything. */
const KEYS = [
  "image",
  "privileged",
  "network_mode",
  "pid",
  "ipc",
  "user",
  "cap_add",
  "devices",
  "volumes",
  "env_file",
  "ports",
  "secrets",
  "environment",
  "labels",
  "deploy",
  "healthcheck",
  "x-gitdock",
  "depends_on",
  "networks",
  "tmpfs",
  "__proto__",
  "constructor",
];
const wrongTypes = fc
  .record({
    svc: fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(fc.anything({ maxDepth: 3 }), fc.string({ unit: "binary", maxLength: 40 })), { maxKeys: 8 }),
    secrets: fc.oneof(fc.anything({ maxDepth: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.anything({ maxDepth: 2 }), { maxKeys: 3 })),
  })
  .map(({ svc, secrets }) => ({ services: { web: { image: IMAGES[0], ...svc } }, secrets }));

/** Pathological shapes: deep nesting, huge strings, alias bombs, long lines, many keys. */
const pathological = fc.oneof(
  fc.integer({ min: 100, max: 8_000 }).map((n) => `services: ${"[".repeat(n)}${"]".repeat(n)}\n`),
  fc.integer({ min: 100, max: 8_000 }).map((n) => `services: ${"{a: ".repeat(n)}1${"}".repeat(n)}\n`),
  fc.integer({ min: 50, max: 1_200 }).map((n) => `services:\n${Array.from({ length: n }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n")} 1\n`),
  fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 })).map(([depth, width]) => {
    const lines = [`x0: &x0 [${Array(width).fill('"lol"').join(", ")}]`];
    for (let i = 1; i < depth; i++)
      lines.push(
        `x${i}: &x${i} [${Array(width)
          .fill(`*x${i - 1}`)
          .join(", ")}]`,
      );
    return `${lines.join("\n")}\nservices:\n  web:\n    image: ${IMAGES[0]}\n    labels: {a: *x${depth - 1}}\n`;
  }),
  fc
    .integer({ min: 1, max: 40 })
    .map((n) => `services:\n  web: &w\n    image: ${IMAGES[0]}\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    <<: *w\n`).join("")}`),
  fc
    .constantFrom(MAX_MANIFEST_BYTES - 200, MAX_MANIFEST_BYTES + 1, 3 * MAX_MANIFEST_BYTES)
    .map((size) => `services:\n  web:\n    image: ${IMAGES[0]}\n    labels:\n      big: "${"x".repeat(size)}"\n`),
  fc.string({ unit: "binary", maxLength: 400 }),
  fc
    .string({ unit: "grapheme", maxLength: 400 })
    .map((s) => `services:\n  web:\n    image: ${JSON.stringify(s)}\n    labels: {${JSON.stringify(s)}: ${JSON.stringify(s)}}\n`),
  fc.constant("a: &a [*a]\nservices: *a\n"),
  fc.constant(`services:\n  web: &w\n    image: ${IMAGES[0]}\n    labels: *w\n`),
);

const PATHS = ["hosts/h1/app/compose.yaml", "hosts/h1/db/compose.yml", "hosts/h1/compose.yaml"];

// ---- the checks --------------------------------------------------------------------------------

function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/).length;
}

/** Load; on rejection check every problem is located inside its file. Returns the stacks, or undefined. */
function loadChecked(files: ManifestFile[]): { stacks: DesiredStack[]; sources: ReturnType<typeof loadManifest>["sources"] } | undefined {
  try {
    return loadManifest(files, { root: "hosts/h1" });
  } catch (err) {
    if (!(err instanceof ManifestInvalidError)) throw err;
    if (err.problems.length === 0) throw new Error("ManifestInvalidError without problems", { cause: err });
    for (const p of err.problems) assertLocated(p, files);
    return undefined;
  }
}

function assertLocated(p: ManifestProblem, files: ManifestFile[]): void {
  const file = files.find((f) => f.path === p.file);
  const ok =
    file !== undefined &&
    Number.isInteger(p.line) &&
    Number.isInteger(p.col) &&
    p.line >= 1 &&
    p.col >= 1 &&
    p.line <= lineCount(file.content) + 1 &&
    typeof p.message === "string" &&
    p.message.length > 0;
  if (!ok) throw new Error(`badly located problem: ${JSON.stringify(p).slice(0, 500)}`);
}

/**
 * Default policy and oracle agree; the policy's findings are located. Undefined when the files are
 * invalid, else whether the policy refused them.
 */
function checkAgainstPolicy(files: ManifestFile[]): boolean | undefined {
  const loaded = loadChecked(files);
  if (!loaded) return undefined;
  const problems = checkPolicy(loaded.stacks, DEFAULT_POLICY, loaded.sources);
  const breaks = oracle(loaded.stacks);
  if (problems.length === 0 && breaks.length > 0) throw new Error(`the policy let through: ${breaks.join(", ")}`);
  if (problems.length > 0 && breaks.length === 0) throw new Error(`the policy refused a compliant stack: ${problems.map((p) => p.message).join("; ")}`);
  for (const p of problems) assertLocated(p, files);
  return problems.length > 0;
}

describe("fuzz: manifest parser and validator under the default policy", () => {
  it("policy-relevant documents: the policy refuses exactly what breaks it, at a position", async () => {
    let valid = 0;
    let refused = 0;
    await assertProperty(policyDoc, runs(3000), (doc) => {
      const files = [{ path: PATHS[0] as string, content: stringify(doc) }];
      const refusals = checkAgainstPolicy(files);
      if (refusals !== undefined) valid++;
      if (refusals) refused++;
    });
    // The generator must reach the policy both ways, or the property proves little.
    expect(valid).toBeGreaterThan(runs(3000) / 4);
    expect(refused).toBeGreaterThan(valid / 10);
    expect(refused).toBeLessThan(valid - valid / 10);
  }, 300_000);

  it("mutated documents: located problems, or stacks the policy judges right", async () => {
    await assertProperty(fc.tuple(policyDoc, fc.array(edit, { minLength: 1, maxLength: 5 })), runs(6000), ([doc, edits]) => {
      checkAgainstPolicy([{ path: PATHS[0] as string, content: applyEdits(stringify(doc), edits) }]);
    });
  }, 300_000);

  it("values of the wrong type anywhere", async () => {
    await assertProperty(wrongTypes, runs(4000), (doc) => {
      checkAgainstPolicy([{ path: PATHS[1] as string, content: stringify(doc) ?? "" }]);
    });
  }, 300_000);

  it("pathological documents: deep nesting, huge strings, alias bombs, binary and unicode", async () => {
    await assertProperty(fc.array(fc.tuple(fc.constantFrom(...PATHS), pathological), { minLength: 1, maxLength: 2 }), runs(250), (pairs) => {
      checkAgainstPolicy([...new Map(pairs).entries()].map(([path, content]) => ({ path, content })));
    });
  }, 300_000);

  it("refuses an alias bomb and an oversized file with a clear error at 1:1", () => {
    const bomb = loadError(
      `a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\nservices: {web: {image: x, labels: {x: *d}}}\n`,
    );
    expect(bomb).toMatchObject([{ line: 1, col: 1, message: expect.stringMatching(/alias bomb/) }]);
    const huge = loadError(`services: {}\n# ${"x".repeat(MAX_MANIFEST_BYTES)}\n`);
    expect(huge).toMatchObject([{ line: 1, col: 1, message: expect.stringMatching(/manifests are limited to/) }]);
  });
});

function loadError(content: string): ManifestProblem[] {
  try {
    loadManifest([{ path: PATHS[0] as string, content }], { root: "hosts/h1" });
  } catch (err) {
    if (err instanceof ManifestInvalidError) return err.problems;
    throw err;
  }
  throw new Error("expected a ManifestInvalidError");
}

// ---- webhooks -----------------------------------------------------------------------------------

const SECRET = Buffer.from("fuzz-webhook-secret-value");
const OPTS = { secret: SECRET, branch: "main", maxBodyBytes: 16 * 1024 };
const sign = (body: Buffer) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

const payload = fc.oneof(
  fc
    .record({
      ref: fc.constantFrom("refs/heads/main", "refs/heads/dev", "refs/tags/v1", "main", ""),
      after: fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 40, maxLength: 40 }), fc.constant("0".repeat(40)), fc.string()),
    })
    .map((o) => JSON.stringify(o)),
  fc.json(),
  fc.string({ unit: "binary", maxLength: 300 }),
);

describe("fuzz: webhook verifier", () => {
  it("never accepts a body changed after signing, never throws, never echoes the secret", async () => {
    const cases = fc.tuple(payload, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean());
    await assertProperty(cases, runs(6000), ([text, at, flip, formEncoded]) => {
      const original = Buffer.from(formEncoded ? `payload=${encodeURIComponent(text)}` : text);
      const headers = {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": sign(original),
        "Content-Type": formEncoded ? "application/x-www-form-urlencoded" : "application/json",
      };
      const good = verifyWebhook({ headers, body: original }, OPTS);
      if (good.kind === "rejected" && good.status === 401) throw new Error(`a correctly signed body was refused: ${good.reason}`);
      if (original.length === 0) return;
      const changed = Buffer.from(original);
      const i = at % changed.length;
      changed[i] = (changed[i] as number) ^ flip;
      const r = verifyWebhook({ headers, body: changed }, OPTS);
      if (!(r.kind === "rejected" && r.status === 401)) throw new Error(`a changed body got ${JSON.stringify(r)}`);
      if (JSON.stringify([good, r]).includes(SECRET.toString())) throw new Error("the secret leaked into a result");
    });
  }, 120_000);

  it("arbitrary headers and bodies: a closed result, bounded printable reasons, no push without the secret", async () => {
    const names = fc.constantFrom(
      "x-hub-signature-256",
      "X-Hub-Signature-256",
      "x-github-event",
      "x-gitea-signature",
      "x-gitea-event",
      "x-forgejo-signature",
      "x-forgejo-event",
      "x-gitlab-token",
      "x-gitlab-event",
      "content-type",
      "content-length",
      "__proto__",
      "constructor",
    );
    const value = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.constantFrom("push", "Push Hook", "ping", `sha256=${"0".repeat(64)}`, "sha256=", "application/json", "application/x-www-form-urlencoded"),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
      fc.constant(undefined),
    );
    const bodies = fc.oneof(
      payload.map((t) => Buffer.from(t)),
      fc.uint8Array({ maxLength: 20_000 }).map((b) => Buffer.from(b)),
    );
    await assertProperty(fc.tuple(fc.dictionary(names, value, { maxKeys: 8 }), bodies), runs(6000), ([headers, body]) => {
      const r = verifyWebhook({ headers, body }, OPTS);
      if (r.kind === "push" || r.kind === "notes") throw new Error(`pushed without the secret: ${JSON.stringify(headers).slice(0, 300)}`);
      if (r.kind === "rejected" && ![400, 401, 413].includes(r.status)) throw new Error(`status ${r.status}`);
      const reason = r.reason;
      // eslint-disable-next-line no-control-regex
      if (reason.length > 400 || /[\u0000-\u001f\u007f]/.test(reason))
        throw new Error(`reason not bounded or printable: ${JSON.stringify(reason).slice(0, 500)}`);
    });
  }, 120_000);
});
