/**
 * Image signatures on the real Engine, registry (127.0.0.1:5000, distribution v2.8) and Git
 * server: images copied into `gdt-is/*` repositories and signed here in both layouts — cosign's
 * classic `.sig` tag (ECDSA P-256 key from node:crypto) and Sigstore bundles made by
 * @sigstore/sign (an Ed25519 key, and keyless with a private CA and TSA) attached as referrers —
 * then synced under a policy that requires them:
 *  - a signed image deploys, and status and the journal name its signer;
 *  - unsigned, signed by another key, signed for another digest, a changed payload (classic) and
 *    a changed statement (bundle) each reject the commit before anything is pulled (exit 4, the
 *    image's file:line:col and the reason), with the host untouched;
 *  - the registry has no referrers API (it answers 404), so bundles are found through the
 *    referrers tag; a registry that has one (and redirects blob downloads elsewhere, as GHCR and
 *    Docker Hub do) is played by a small HTTP peer in front of it;
 *  - a verdict is kept per digest and key set: judging the same image again asks no registry;
 *  - a keyless bundle verifies offline against a trusted_root.json made here, and the host halts
 *    at that commit when the policy stops listing its signer.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkImageSignatures } from "../../src/reconcile/check-image-signatures.js";
import type { ReconcileContext } from "../../src/reconcile/context.js";
import { containersOf, dockerCli } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import {
  makeBundle,
  newKey,
  OCI_INDEX,
  pushBundleManifest,
  pushClassicSignatures,
  pushReferrersTag,
  signStatement,
  signWith,
  simpleSigningPayload,
  type TestKey,
} from "../support/image-signing.js";
import { REGISTRY } from "../support/images.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestPki, withTimestamp, type TestPki } from "../support/sigstore-pki.js";
import { readJournal } from "../support/journal.js";
import { deleteManifest, pushTinyImage, sha256, type RegistryTarget } from "./helpers/registry-push.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-is-";
const WEB = `${P}web`;
const BAD = `${P}bad`;
const NS = "gdt-is";
const target: RegistryTarget = { base: `http://${REGISTRY}` };
const IDENTITY = { subject: "https://ci.example/acme/web/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.ci.example" };

let dir: string;
let ci: TestKey;
let ed: TestKey;
let stranger: TestKey;
let pki: TestPki;
let peer: ReferrersPeer;
let repo: ManifestRepo;
let host: TestHost;
let good: string;
/** Manifests pushed (deleted from the registry afterwards, their tags with them), and local images to remove. */
const pushed: { repo: string; digest: string }[] = [];
const pulled: string[] = [];

/**
 * A registry with the referrers API: answers `GET /v2/<name>/referrers/<digest>` itself, redirects
 * blob downloads to the real registry, and forwards everything else to it.
 */
interface ReferrersPeer {
  host: string;
  referrers: Map<string, Record<string, unknown>[]>;
  /** Referrers API calls, as `<name>@<digest>`. */
  asked: string[];
  /** Every request, as `<method> <path>`. */
  requests: string[];
  close(): Promise<void>;
}

async function startReferrersPeer(): Promise<ReferrersPeer> {
  const referrers = new Map<string, Record<string, unknown>[]>();
  const asked: string[] = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})(?:\?.*)?$/.exec(req.url ?? "");
    if (m && req.method === "GET") {
      asked.push(`${m[1]}@${m[2]}`);
      res.writeHead(200, { "Content-Type": OCI_INDEX });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: referrers.get(`${m[1]}@${m[2]}`) ?? [] }));
      return;
    }
    // Blobs are served from "storage" elsewhere, as GHCR and Docker Hub do: a redirect the client follows.
    if (req.method === "GET" && /^\/v2\/.+\/blobs\/sha256:[a-f0-9]{64}$/.test(req.url ?? "")) {
      res.writeHead(307, { Location: `http://${REGISTRY}${req.url}` });
      res.end();
      return;
    }
    const forward = request({ host: "127.0.0.1", port: 5000, method: req.method, path: req.url, headers: { ...req.headers, host: REGISTRY } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { host: `127.0.0.1:${port}`, referrers, asked, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Copies a test image (manifest and blobs, by cross-repository mounts) into `gdt-is/<name>`; returns its digest. */
async function copyImage(image: string, name: string): Promise<{ digest: string; mediaType: string; size: number }> {
  const [from, digest] = image.slice(REGISTRY.length + 1).split("@") as [string, string];
  const to = `${NS}/${name}`;
  const got = await fetch(`${target.base}/v2/${from}/manifests/${digest}`, {
    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
  });
  const body = Buffer.from(await got.arrayBuffer());
  const mediaType = got.headers.get("content-type") ?? "";
  const manifest = JSON.parse(body.toString("utf8")) as { config: { digest: string }; layers: { digest: string }[] };
  for (const blob of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const mounted = await fetch(`${target.base}/v2/${to}/blobs/uploads/?mount=${blob}&from=${from}`, { method: "POST" });
    if (mounted.status !== 201) throw new Error(`mounting ${blob} into ${to}: HTTP ${mounted.status}`);
  }
  const put = await fetch(`${target.base}/v2/${to}/manifests/${digest}`, { method: "PUT", headers: { "Content-Type": mediaType }, body });
  if (put.status !== 201) throw new Error(`putting ${to}@${digest}: HTTP ${put.status}`);
  pushed.push({ repo: to, digest });
  return { digest, mediaType, size: body.length };
}

/** A tiny image that never runs (the commits using it are rejected), in `gdt-is/<name>`. */
async function tinyImage(name: string): Promise<{ ref: string; digest: string }> {
  const { digest } = await pushTinyImage(target, `${NS}/${name}`, { os: "linux", architecture: "amd64" });
  pushed.push({ repo: `${NS}/${name}`, digest });
  return { ref: `${REGISTRY}/${NS}/${name}@${digest}`, digest };
}

async function signClassic(name: string, digest: string, key: TestKey, opts: { names?: string; changeAfterSigning?: boolean } = {}): Promise<void> {
  const payload = simpleSigningPayload(`${REGISTRY}/${NS}/${name}`, opts.names ?? digest);
  const signature = signWith(key, payload);
  const stored = opts.changeAfterSigning ? Buffer.from(payload.toString("utf8").replace('"optional":null', '"optional":{"creator":"mallory"}')) : payload;
  pushed.push({ repo: `${NS}/${name}`, digest: await pushClassicSignatures(target, `${NS}/${name}`, digest, [{ payload: stored, signature }]) });
}

async function attachBundle(
  name: string,
  subject: { digest: string; mediaType: string; size: number },
  bundle: Record<string, unknown>,
  via: "tag" | "peer",
): Promise<void> {
  const descriptor = await pushBundleManifest(target, `${NS}/${name}`, subject, bundle);
  pushed.push({ repo: `${NS}/${name}`, digest: descriptor.digest as string });
  if (via === "peer") {
    peer.referrers.set(`${NS}/${name}@${subject.digest}`, [descriptor]);
    return;
  }
  pushed.push({ repo: `${NS}/${name}`, digest: await pushReferrersTag(target, `${NS}/${name}`, subject.digest, [descriptor]) });
}

function stack(project: string, image: string, release = "1"): string {
  return `name: ${project}\nservices:\n  app:\n${webService(image, `    labels:\n      release: "${release}"`)}\n`;
}

async function deploy(image: string, release: string): Promise<{ code: number | null; out: string; commit: string }> {
  await repo.write("hosts/h1/web/compose.yaml", stack(WEB, image, release));
  const commit = await repo.commit(`web ${release}`);
  const r = await host.run("sync");
  pulled.push(image);
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, commit };
}

async function statusJson(): Promise<Record<string, any>> {
  const r = await host.run("status", ["--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

async function pulledLocally(image: string): Promise<boolean> {
  return dockerCli(["image", "inspect", image]).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  const env = testEnv();
  dir = await mkdtemp(path.join(os.tmpdir(), `${P}cfg-`));
  [ci, ed, stranger] = [newKey("ecdsa-p256"), newKey("ed25519"), newKey("ecdsa-p256")];
  await writeFile(path.join(dir, "cosign.pub"), ci.publicPem);
  pki = await createTestPki();
  await writeFile(path.join(dir, "trusted_root.json"), JSON.stringify(await pki.trustedRoot()));
  peer = await startReferrersPeer();
  const indent = (pem: string) =>
    pem
      .trim()
      .split("\n")
      .map((l) => `              ${l}`)
      .join("\n");
  const config = [
    "security:",
    "  policy:",
    "    image_signatures:",
    `      - scope: ${REGISTRY}/${NS}`,
    "        keys:",
    `          - ${path.join(dir, "cosign.pub")}`,
    "          - |",
    indent(ed.publicPem),
    `      - scope: ${REGISTRY}/${NS}/keyless`,
    "        keyless:",
    `          trusted_root: ${path.join(dir, "trusted_root.json")}`,
    "          identities:",
    `            - subject: ${IDENTITY.subject}`,
    `              issuer: ${IDENTITY.issuer}`,
    `      - scope: ${peer.host}/${NS}`,
    `        keys: [${path.join(dir, "cosign.pub")}]`,
    "",
  ].join("\n");
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1", config });
}, 120_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await peer?.close();
  await pki?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const image of pulled) await dockerCli(["rmi", image]).catch(() => undefined);
  for (const p of pushed.reverse()) await deleteManifest(target, p.repo, p.digest).catch(() => undefined);
});

describe("image signatures", () => {
  it("a signed image deploys (cosign's classic layout, ECDSA P-256), and status and the journal name its signer", async () => {
    const image = await copyImage(testEnv().images["web-v1"], "classic");
    await signClassic("classic", image.digest, ci);
    const ref = `${REGISTRY}/${NS}/classic@${image.digest}`;
    const r = await deploy(ref, "1");
    expect(r.code, r.out).toBe(0);
    good = r.commit;
    const web = await containersOf(WEB);
    expect(web.map((c) => [c.state, c.labels.release])).toEqual([["running", "1"]]);

    const status = await statusJson();
    const record = status.imageSignatures[good];
    expect(record.images).toEqual([
      {
        stack: WEB,
        service: "app",
        image: ref,
        signer: expect.objectContaining({ kind: "key", algorithm: "ecdsa-p256", source: path.join(dir, "cosign.pub") }),
        layout: "cosign-tag",
      },
    ]);
    const fingerprint = record.images[0].signer.fingerprint as string;
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const text = await host.run("status");
    expect(text.stdout).toContain(`  images:     1 signed, by key ${fingerprint} (1)`);
    const journal = await readJournal(host.stateDir);
    const verified = journal.filter((e) => e.action === "verify-images");
    expect(verified.map((e) => [e.commit, e.outcome, e.data?.images[0].image, e.data?.images[0].signer.fingerprint])).toEqual([
      [good, "valid", ref, fingerprint],
    ]);

    // An idle pass verifies nothing again and writes no second journal entry.
    expect((await host.run("sync")).code).toBe(0);
    const again = (await readFile(path.join(host.stateDir, "journal.jsonl"), "utf8")).split("\n").filter((l) => l.includes('"verify-images"'));
    expect(again).toHaveLength(1);
  }, 180_000);

  const CASES: { name: string; prepare: (name: string, digest: string) => Promise<void>; says: RegExp }[] = [
    {
      name: "unsigned",
      prepare: async () => undefined,
      says: /not signed: no signature found \(neither the sha256-[a-f0-9]{64}\.sig tag nor a Sigstore bundle referring to the image\)/,
    },
    {
      name: "signed by another key",
      prepare: (n, d) => signClassic(n, d, stranger),
      says: /signed by an unknown key or identity: a cosign signature .* but no key the policy lists for 127\.0\.0\.1:5000\/gdt-is verifies it/,
    },
    {
      name: "signed for another digest",
      prepare: (n, d) => signClassic(n, d, ci, { names: `sha256:${"0".repeat(64)}` }),
      says: new RegExp(`signature over another digest: signed by key SHA256:\\S+, but over another image: sha256:${"0".repeat(64)}`),
    },
    {
      name: "a classic payload changed after signing",
      prepare: (n, d) => signClassic(n, d, ci, { changeAfterSigning: true }),
      says: /signed by an unknown key or identity: .*or its payload was changed after signing/,
    },
    {
      name: "a bundle whose statement was changed after signing",
      prepare: async (n, d) => {
        const bundle = await makeBundle(signStatement(`${REGISTRY}/${NS}/${n}`, [`sha256:${"1".repeat(64)}`]), { key: ed });
        const envelope = bundle.dsseEnvelope as Record<string, unknown>;
        const changed = { ...bundle, dsseEnvelope: { ...envelope, payload: signStatement(`${REGISTRY}/${NS}/${n}`, [d]).toString("base64") } };
        await attachBundle(n, { digest: d, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1 }, changed, "tag");
      },
      says: /signature tampered: the bundle names listed key SHA256:\S+, but its signature does not match the signed statement/,
    },
  ];

  it.each(CASES.map((c, i) => ({ ...c, repoName: `bad${i}` })))(
    "$name: the commit is rejected before anything is pulled (exit 4, where and why)",
    async ({ repoName, prepare, says }) => {
      const image = await tinyImage(repoName);
      await prepare(repoName, image.digest);
      await repo.write("hosts/h1/bad/compose.yaml", stack(BAD, image.ref));
      await repo.commit(`bad ${repoName}`);
      const r = await host.run("sync");
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(4);
      const line = new RegExp(`hosts/h1/bad/compose\\.yaml:4:12: services\\.app\\.image: ${image.ref.replace(/[.]/g, "\\.")}: `);
      expect(r.stdout).toMatch(line);
      expect(r.stdout).toMatch(says);
      // Nothing changed: no container of the bad stack, nothing pulled, the good release still serving.
      expect(await containersOf(BAD)).toEqual([]);
      expect(await pulledLocally(image.ref)).toBe(false);
      expect((await containersOf(WEB)).map((c) => [c.state, c.labels["gitdock.commit"]])).toEqual([["running", good]]);
      const status = await statusJson();
      expect(Object.keys(status.rejected)).toContain(await repo.head());
      await repo.remove("hosts/h1/bad/compose.yaml");
      await repo.commit(`drop bad ${repoName}`);
    },
    180_000,
  );

  it("a Sigstore bundle (Ed25519 key) is found through the referrers tag: this registry has no referrers API", async () => {
    const image = await copyImage(testEnv().images["web-v2"], "bundle");
    const api = await fetch(`${target.base}/v2/${NS}/bundle/referrers/${image.digest}`);
    expect(api.status).toBe(404);
    await attachBundle("bundle", image, await makeBundle(signStatement(`${REGISTRY}/${NS}/bundle`, [image.digest]), { key: ed }), "tag");
    const r = await deploy(`${REGISTRY}/${NS}/bundle@${image.digest}`, "2");
    expect(r.code, r.out).toBe(0);
    expect((await containersOf(WEB)).map((c) => [c.state, c.labels.release])).toEqual([["running", "2"]]);
    const images = (await statusJson()).imageSignatures[r.commit].images;
    expect(images.map((i: any) => [i.signer.algorithm, i.layout])).toEqual([["ed25519", "sigstore-bundle"]]);
  }, 180_000);

  it("a registry with the referrers API is asked through it", async () => {
    const image = await copyImage(testEnv().images["web-v3"], "via-api");
    const bundle = await makeBundle(signStatement(`${peer.host}/${NS}/via-api`, [image.digest]), { key: ci });
    await attachBundle("via-api", image, bundle, "peer");
    const r = await deploy(`${peer.host}/${NS}/via-api@${image.digest}`, "3");
    expect(r.code, r.out).toBe(0);
    expect(peer.asked).toContain(`${NS}/via-api@${image.digest}`);
    // The bundle itself came through the peer's redirect (only gitdock asks for it).
    expect(peer.requests).toContain(`GET /v2/${NS}/via-api/blobs/${sha256(Buffer.from(JSON.stringify(bundle)))}`);
    expect((await containersOf(WEB)).map((c) => [c.state, c.labels.release])).toEqual([["running", "3"]]);
  }, 180_000);

  it("a valid verdict is kept per digest and key set: judging the same images again asks no registry", async () => {
    const name = "via-api";
    const { digest } = pushed.find((p) => p.repo === `${NS}/${name}` && p.digest.startsWith("sha256:"))!;
    const stacks = [
      {
        project: WEB,
        file: "hosts/h1/web/compose.yaml",
        services: [{ name: "app", container: { image: `${peer.host}/${NS}/${name}@${digest}` } }],
        networks: [],
        volumes: [],
      },
    ];
    const sources = { locate: () => ({ line: 1, col: 1 }), valueAt: () => undefined };
    const ctx = (keys: string[]) =>
      ({
        log: { info: () => undefined, debug: () => undefined },
        settings: {
          concurrency: 4,
          security: { policy: { imageSignatures: [{ scope: `${peer.host}/${NS}`, keys, keyless: undefined, acceptUnsigned: false }] } },
        },
        auths: new Map(),
      }) as unknown as ReconcileContext;
    const keyFile = path.join(dir, "cosign.pub");
    const before = peer.requests.length;
    const first = await checkImageSignatures(ctx([keyFile]), stacks as never, sources);
    expect(first.map((i) => i.signer.kind)).toEqual(["key"]);
    const asked = peer.requests.length;
    expect(asked).toBeGreaterThan(before);
    await checkImageSignatures(ctx([keyFile]), stacks as never, sources);
    expect(peer.requests.length).toBe(asked);
    // Another key set is another trust: judged again.
    await checkImageSignatures(ctx([keyFile, stranger.publicPem]), stacks as never, sources);
    expect(peer.requests.length).toBeGreaterThan(asked);
  }, 60_000);

  it("a keyless signature verifies offline against the pinned trusted root, and status names the identity", async () => {
    const image = await copyImage(testEnv().images["web-v1"], "keyless");
    const leaf = await pki.leaf(IDENTITY);
    const bundle = await withTimestamp(
      await makeBundle(signStatement(`${REGISTRY}/${NS}/keyless`, [image.digest]), { key: leaf.key, certificatePem: leaf.certificatePem }),
      pki,
    );
    await attachBundle("keyless", image, bundle, "tag");
    const r = await deploy(`${REGISTRY}/${NS}/keyless@${image.digest}`, "4");
    expect(r.code, r.out).toBe(0);
    const text = await host.run("status");
    expect(text.stdout).toContain(`  images:     1 signed, by keyless ${IDENTITY.subject} (${IDENTITY.issuer}) (1)`);
  }, 180_000);

  it("an identity the policy stops listing halts the host at the commit that runs it, until it is listed again", async () => {
    const configFile = `${host.stateDir}.config.yaml`;
    const config = await readFile(configFile, "utf8");
    const running = (await containersOf(WEB)).map((c) => c.id);
    await writeFile(configFile, config.replace(`subject: ${IDENTITY.subject}`, "subject: someone-else@ci.example"));
    const halted = await host.run("sync");
    expect(halted.code, halted.stderr).toBe(4);
    expect(halted.stdout).toMatch(
      /no longer passes the image signature check: image signature: .*services\.app\.image: .*signed by an unknown key or identity: a keyless signature by https:\/\/ci\.example\/acme\/web\/.* an identity the policy does not list/,
    );
    expect((await containersOf(WEB)).map((c) => c.id)).toEqual(running);
    await writeFile(configFile, config);
    const resumed = await host.run("sync");
    expect(resumed.code, resumed.stdout).toBe(0);
  }, 120_000);
});
