/**
 * `gitdock pin` against real registries: the shared one on 127.0.0.1:5000 (single-platform images
 * pushed by the docker CLI, a two-platform OCI index pushed through the registry API), one with
 * Basic auth, and one with token auth over HTTPS (both `docker-registry`, started here).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitdock, type RunResult } from "../support/cli.js";
import { dockerCli } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { REGISTRY, REGISTRY_URL } from "../support/images.js";
import { nonLoopbackAddress, startBasicAuthRegistry, startTokenAuthRegistry, type TestRegistry, type TokenRegistry } from "./helpers/auth-registries.js";
import { deleteManifest, pushTinyImage, pushTwoPlatformIndex, type RegistryTarget } from "./helpers/registry-push.js";

const P = "gdt-pin-";
const LOCAL: RegistryTarget = { base: REGISTRY_URL };
const repoOf = (name: string) => `gitdock-test/${P}${name}`;

let work: string;
/** Manifests pushed here, deleted again in afterAll (the repositories' names stay in the catalog). */
const pushed: { target: RegistryTarget; repo: string; digest: string }[] = [];
/** Local tags and pulled images to remove. */
const localImages: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), P));
});
afterAll(async () => {
  for (const p of pushed) await deleteManifest(p.target, p.repo, p.digest).catch(() => undefined);
  for (const image of localImages) await dockerCli(["rmi", image]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

async function writeFiles(dir: string, files: Record<string, string>): Promise<string> {
  const root = path.join(work, dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return root;
}

/** `gitdock pin` in `cwd`, with no Docker credentials unless the test gives some. */
async function pin(args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  return runGitdock(["pin", ...args], { cwd, env: { DOCKER_CONFIG: path.join(work, "no-docker-config"), ...env } });
}

/** Tags a test image as `repo:tag` on 127.0.0.1:5000, pushes it, and returns the digest `docker inspect` reports for that repository. */
async function pushWithDocker(image: string, repo: string, tag: string): Promise<string> {
  const ref = `${REGISTRY}/${repo}:${tag}`;
  await dockerCli(["tag", image, ref]);
  localImages.push(ref);
  await dockerCli(["push", "-q", ref]);
  const digests = JSON.parse(await dockerCli(["image", "inspect", "--format", "{{json .RepoDigests}}", ref])) as string[];
  const digest = digests.find((d) => d.startsWith(`${REGISTRY}/${repo}@`))?.split("@")[1];
  if (!digest) throw new Error(`docker inspect ${ref} reports no RepoDigest for ${repo}: ${JSON.stringify(digests)}`);
  pushed.push({ target: LOCAL, repo, digest });
  // The digest reference outlives the tag when the tag moves on: remove it too.
  localImages.push(`${REGISTRY}/${repo}@${digest}`);
  return digest;
}

const bytes = (file: string) => readFile(file);

describe("gitdock pin against the local registry", () => {
  it("pins a single-platform image to the digest docker inspect reports, changing nothing else", async () => {
    const repo = repoOf("single");
    const digest = await pushWithDocker(testEnv().images["web-v1"], repo, "v1");
    const ref = `${REGISTRY}/${repo}:v1`;
    const before = `# shop\nname: ${P}shop\nservices:\n  web:\n    image: "${ref}"   # the front\n    restart: always\n`;
    const root = await writeFiles("single", { "shop/compose.yaml": before });

    const r = await pin([], root);
    expect(r.code, r.stderr).toBe(0);
    const pinned = `${ref}@${digest}`;
    expect(await bytes(path.join(root, "shop/compose.yaml"))).toEqual(Buffer.from(before.replace(ref, pinned)));
    expect(r.stdout).toContain(`shop/compose.yaml:5:12: services.web.image: ${ref} -> ${pinned}\n`);

    const validate = await runGitdock(["validate", root]);
    expect(validate.code, validate.stderr).toBe(0);
    const again = await pin([], root);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("pinned 0 image reference(s) in 0 file(s); 1 already pinned");
  });

  it("pins a multi-platform image to its index digest, which docker pull resolves for this host", async () => {
    const repo = repoOf("multi");
    const index = await pushTwoPlatformIndex(LOCAL, repo, "multi");
    pushed.push({ target: LOCAL, repo, digest: index.digest }, ...Object.values(index.manifests).map((digest) => ({ target: LOCAL, repo, digest })));
    const ref = `${REGISTRY}/${repo}:multi`;
    const root = await writeFiles("multi", { "edge.yml": `services:\n  edge: { image: ${ref}, restart: always }\n` });

    const r = await pin(["edge.yml"], root);
    expect(r.code, r.stderr).toBe(0);
    const pinned = `${ref}@${index.digest}`;
    expect(await readFile(path.join(root, "edge.yml"), "utf8")).toBe(`services:\n  edge: { image: ${pinned}, restart: always }\n`);
    expect(Object.values(index.manifests)).not.toContain(index.digest);

    localImages.push(pinned);
    await dockerCli(["pull", "-q", pinned]);
    const arch = (await dockerCli(["version", "--format", "{{.Server.Arch}}"])).trim();
    const label = await dockerCli(["image", "inspect", "--format", '{{index .Config.Labels "gdt.platform"}}', pinned]);
    expect(label.trim()).toBe(`linux/${arch}`);
  });

  it("--check lists every unpinned reference at its position and exits 1, offline and changing nothing", async () => {
    const repo = repoOf("check");
    const image = await pushTinyImage(LOCAL, repo, { os: "linux", architecture: "amd64" }, "c1");
    pushed.push({ target: LOCAL, repo, digest: image.digest });
    const ref = `${REGISTRY}/${repo}:c1`;
    const files = {
      "web-1/shop/compose.yaml": [
        "services:",
        "  web:",
        `    image: ${ref}`,
        "  db:",
        `    image: ${ref}@${image.digest}`,
        "  app:",
        "    image: ${APP_IMAGE:-app:1}",
        "",
      ].join("\n"),
      // Never looked up by --check: a registry that does not exist does not matter.
      "web-1/shop/compose.override.yaml": "services:\n  cache:\n    image: 'registry.invalid/cache:7'\n",
    };
    const root = await writeFiles("check", files);

    const r = await pin(["--check", "."], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      [
        `web-1/shop/compose.override.yaml:3:12: services.cache.image: registry.invalid/cache:7 is not pinned by digest`,
        `web-1/shop/compose.yaml:3:12: services.web.image: ${ref} is not pinned by digest`,
        "2 image reference(s) to pin; run `gitdock pin` and commit the result",
      ].join("\n"),
    );
    expect(r.stderr).toContain("note: web-1/shop/compose.yaml:7:12: services.app.image: ${APP_IMAGE:-app:1} uses ${VAR} interpolation");
    expect(r.stdout).toBe("");
    for (const [rel, text] of Object.entries(files)) expect(await readFile(path.join(root, rel), "utf8")).toBe(text);

    await writeFile(path.join(root, "web-1/shop/compose.override.yaml"), `services:\n  cache:\n    image: '${ref}'\n`);
    const pinned = await pin([], root);
    expect(pinned.code, pinned.stderr).toBe(0);
    const clean = await pin(["--check"], root);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toBe("ok: 3 image reference(s) pinned\n");
    expect(await readFile(path.join(root, "web-1/shop/compose.override.yaml"), "utf8")).toBe(`services:\n  cache:\n    image: '${ref}@${image.digest}'\n`);
  });

  it("--update moves a pinned reference to the image its tag now names", async () => {
    const repo = repoOf("moving");
    const first = await pushWithDocker(testEnv().images["web-v1"], repo, "stable");
    const ref = `${REGISTRY}/${repo}:stable`;
    const other = `${REGISTRY}/${repo}@${first}`;
    const root = await writeFiles("update", { "compose.yaml": `services:\n  web:\n    image: ${ref}\n  old:\n    image: ${other}\n` });
    expect((await pin([], root)).code).toBe(0);
    expect(await readFile(path.join(root, "compose.yaml"), "utf8")).toContain(`image: ${ref}@${first}\n`);

    const second = await pushWithDocker(testEnv().images["web-v2"], repo, "stable");
    expect(second).not.toBe(first);
    const plain = await pin([], root);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await readFile(path.join(root, "compose.yaml"), "utf8")).toContain(`image: ${ref}@${first}\n`);

    const check = await pin(["--check", "--update"], root);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      `compose.yaml:3:12: services.web.image: ${ref}@${first} is not the current digest of ${REGISTRY}/${repo}:stable (current: ${ref}@${second})`,
    );

    const updated = await pin(["--update"], root);
    expect(updated.code, updated.stderr).toBe(0);
    expect(await readFile(path.join(root, "compose.yaml"), "utf8")).toBe(`services:\n  web:\n    image: ${ref}@${second}\n  old:\n    image: ${other}\n`);
    expect(updated.stderr).toContain(`note: compose.yaml:5:12: services.old.image: ${other} has a digest but no tag, so --update has no tag to follow`);
  });

  it("names the place and the registry's answer for a tag it does not have, and writes no file", async () => {
    const repo = repoOf("missing");
    const image = await pushTinyImage(LOCAL, repo, { os: "linux", architecture: "amd64" }, "c1");
    pushed.push({ target: LOCAL, repo, digest: image.digest });
    const text = `services:\n  web:\n    image: ${REGISTRY}/${repo}:no-such-tag\n`;
    const ok = `services:\n  api:\n    image: ${REGISTRY}/${repo}:c1\n`;
    const root = await writeFiles("missing", { "a/compose.yaml": text, "b/compose.yaml": ok });
    const r = await pin([], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `a/compose.yaml:3:12: services.web.image: ${REGISTRY}/${repo}:no-such-tag: registry ${REGISTRY} answered HTTP 404 MANIFEST_UNKNOWN: manifest unknown for ${repo}:no-such-tag (no such tag or repository)`,
    );
    expect(r.stderr).toContain("no file was changed");
    expect(await readFile(path.join(root, "a/compose.yaml"), "utf8")).toBe(text);
    expect(await readFile(path.join(root, "b/compose.yaml"), "utf8")).toBe(ok);
  });
});

describe("gitdock pin with registries that want credentials", () => {
  const user = "gdt-pin-user";
  const password = `pw-${Date.now().toString(36)}-secret`;
  let basic: TestRegistry;
  let token: TokenRegistry;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    basic = await startBasicAuthRegistry(user, password);
    token = await startTokenAuthRegistry({ user, password, publicPrefix: "public/" });
    digests.basic = (await pushTinyImage(basic.target, "private/app", { os: "linux", architecture: "amd64" }, "1.0")).digest;
    digests.public = (await pushTinyImage(token.target, "public/app", { os: "linux", architecture: "amd64" }, "1.0")).digest;
    digests.private = (await pushTinyImage(token.target, "private/app", { os: "linux", architecture: "arm64" }, "2.0")).digest;
  });
  afterAll(async () => {
    await basic?.stop();
    await token?.stop();
  });

  /** A Docker config.json holding `auths` for the given registries. */
  async function dockerConfig(name: string, auths: Record<string, string>): Promise<string> {
    const file = path.join(work, `${name}.json`);
    const entries = Object.fromEntries(Object.entries(auths).map(([host, pw]) => [host, { auth: Buffer.from(`${user}:${pw}`).toString("base64") }]));
    await writeFile(file, JSON.stringify({ auths: entries }));
    return file;
  }

  it("Basic auth: says the registry wants credentials, then pins with docker login's credentials; never prints them", async () => {
    const ref = `${basic.host}/private/app:1.0`;
    const text = `services:\n  app:\n    image: ${ref}\n`;
    const root = await writeFiles("basic", { "compose.yaml": text });

    const anonymous = await pin([], root);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`compose.yaml:3:12: services.app.image: ${ref}: registry ${basic.host} answered HTTP 401 UNAUTHORIZED`);
    expect(await readFile(path.join(root, "compose.yaml"), "utf8")).toBe(text);

    const wrong = await pin(["--registry-auth", await dockerConfig("basic-wrong", { [basic.host]: "not-it" })], root);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("answered HTTP 401 UNAUTHORIZED");

    const right = await pin(["--registry-auth", await dockerConfig("basic-right", { [basic.host]: password })], root);
    expect(right.code, right.stderr).toBe(0);
    expect(await readFile(path.join(root, "compose.yaml"), "utf8")).toBe(`services:\n  app:\n    image: ${ref}@${digests.basic}\n`);
    for (const out of [anonymous, wrong, right]) {
      expect(out.stdout + out.stderr).not.toContain(password);
      expect(out.stdout + out.stderr).not.toContain(Buffer.from(`${user}:${password}`).toString("base64"));
    }
  });

  it("token auth over HTTPS: an anonymous token for a public repository, the agent's registry_auth for a private one", async () => {
    const publicRef = `${token.host}/public/app:1.0`;
    const privateRef = `${token.host}/private/app:2.0`;
    const root = await writeFiles("token", {
      "public/compose.yaml": `services:\n  pub:\n    image: ${publicRef}\n`,
      "private/compose.yaml": `services:\n  priv:\n    image: ${privateRef}\n`,
    });
    const tls = { NODE_EXTRA_CA_CERTS: token.caFile };

    // The certificate is verified: without the CA there is no answer to pin from.
    const untrusted = await pin(["public"], root);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      new RegExp(`cannot reach registry ${token.host.replace(/\./g, "\\.")} at https://${token.host.replace(/\./g, "\\.")}: .*(certificate|self.signed)`, "i"),
    );

    token.tokenRequests.length = 0;
    const anonymous = await pin(["public"], root, tls);
    expect(anonymous.code, anonymous.stderr).toBe(0);
    expect(await readFile(path.join(root, "public/compose.yaml"), "utf8")).toContain(`image: ${publicRef}@${digests.public}\n`);
    expect(token.tokenRequests).toEqual([{ user: undefined, scope: "repository:public/app:pull", service: "gdt-pin-registry" }]);

    const denied = await pin(["private"], root, tls);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(`private/compose.yaml:3:12: services.priv.image: ${privateRef}: registry ${token.host} answered HTTP 401 UNAUTHORIZED`);

    const wrong = await pin(["private", "--registry-auth", await dockerConfig("token-wrong", { [token.host]: "not-it" })], root, tls);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`the token service 127.0.0.1:`);
    expect(wrong.stderr).toContain(`refused the credentials for ${token.host} (HTTP 401 UNAUTHORIZED: invalid username or password)`);

    const agentConfig = path.join(work, "agent.yaml");
    await writeFile(agentConfig, `registry_auth: ${await dockerConfig("token-right", { [`https://${token.host}`]: password })}\n`);
    token.tokenRequests.length = 0;
    const right = await pin(["private", "--config", agentConfig], root, tls);
    expect(right.code, right.stderr).toBe(0);
    expect(await readFile(path.join(root, "private/compose.yaml"), "utf8")).toBe(`services:\n  priv:\n    image: ${privateRef}@${digests.private}\n`);
    expect(token.tokenRequests).toEqual([{ user, scope: "repository:private/app:pull", service: "gdt-pin-registry" }]);
    for (const out of [untrusted, anonymous, denied, wrong, right]) expect(out.stdout + out.stderr).not.toContain(password);
  });

  it("refuses a token service in plain HTTP off the loopback interface, sending it nothing", async () => {
    const plain = await startTokenAuthRegistry({ user, password, publicPrefix: "public/", tokenServiceAddress: nonLoopbackAddress() });
    try {
      await pushTinyImage(plain.target, "public/app", { os: "linux", architecture: "amd64" }, "1.0");
      const ref = `${plain.host}/public/app:1.0`;
      const root = await writeFiles("plain-realm", { "compose.yaml": `services:\n  app:\n    image: ${ref}\n` });
      const config = await dockerConfig("plain-realm", { [plain.host]: password });
      const r = await pin(["--registry-auth", config], root, { NODE_EXTRA_CA_CERTS: plain.caFile });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`compose.yaml:3:12: services.app.image: ${ref}: registry ${plain.host} names a token service gitdock will not use`);
      expect(r.stderr).toContain("it must be an https:// URL, or http:// on the loopback interface");
      expect(plain.tokenRequests).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});
