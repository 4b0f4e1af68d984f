/**
 * Issue 15: what verifying image signatures costs a first apply of N services in S stacks. Every
 * service gets an image of its own (N distinct digests, the worst case: one verification each),
 * made from the bench's sleeper image with a distinct label and signed in cosign's classic layout
 * with an ECDSA P-256 key (the `.sig` tag), all in the local registry. The same repository is
 * synced from a clean engine with and without a policy that requires those signatures; images are
 * local before either run, so the difference is the verification: per image, the signature
 * manifest and payload asked of the registry and one ECDSA verification, 8 images at a time.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { bounded, docker, fmtMs, gitdock, judge, localRepo, median, removeContainers, removeNetworks, REGISTRY, row, run, tempDir, timed } from "./lib.mjs";

const PREFIX = "gdb-sig-";
const REPO = "gdb/signed";
const HOST_ID = "gdb-bench";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const BASE = `http://${REGISTRY}`;

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function http(method, url, { headers = {}, body } = {}) {
  const res = await fetch(url, { method, headers, body });
  if (res.status >= 300) throw new Error(`${method} ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res;
}

async function pushBlob(repo, bytes) {
  const digest = sha256(bytes);
  const head = await fetch(`${BASE}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
  if (head.status === 200) return digest;
  const start = await http("POST", `${BASE}/v2/${repo}/blobs/uploads/`);
  const location = new URL(start.headers.get("location"), BASE);
  location.searchParams.set("digest", digest);
  await http("PUT", location.href, { headers: { "Content-Type": "application/octet-stream" }, body: bytes });
  return digest;
}

async function putManifest(repo, reference, mediaType, body) {
  await http("PUT", `${BASE}/v2/${repo}/manifests/${reference}`, { headers: { "Content-Type": mediaType }, body });
  return sha256(body);
}

/** `count` images, each the sleeper with a label of its own, signed; returns their references and what to delete afterwards. */
async function signedImages(sleeper, count, privateKey) {
  const [from, digest] = sleeper.slice(REGISTRY.length + 1).split("@");
  const accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";
  const manifest = await (await http("GET", `${BASE}/v2/${from}/manifests/${digest}`, { headers: { Accept: accept } })).json();
  const config = await (await http("GET", `${BASE}/v2/${from}/blobs/${manifest.config.digest}`)).json();
  for (const l of manifest.layers) await http("POST", `${BASE}/v2/${REPO}/blobs/uploads/?mount=${l.digest}&from=${from}`);
  const emptyConfig = await pushBlob(REPO, Buffer.from("{}"));
  const refs = [];
  const manifests = [];
  await bounded(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const own = Buffer.from(JSON.stringify({ ...config, config: { ...config.config, Labels: { ...config.config?.Labels, "gdb.n": String(i) } } }));
      const ownDigest = await pushBlob(REPO, own);
      const body = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: ownDigest, size: own.length } }));
      const imageDigest = await putManifest(REPO, sha256(body), manifest.mediaType, body);
      const payload = Buffer.from(
        JSON.stringify({
          critical: {
            identity: { "docker-reference": `${REGISTRY}/${REPO}` },
            image: { "docker-manifest-digest": imageDigest },
            type: "cosign container image signature",
          },
          optional: null,
        }),
      );
      const payloadDigest = await pushBlob(REPO, payload);
      const signature = sign("sha256", payload, { key: privateKey, dsaEncoding: "der" }).toString("base64");
      const sig = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: emptyConfig, size: 2 },
          layers: [
            {
              mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
              digest: payloadDigest,
              size: payload.length,
              annotations: { "dev.cosignproject.cosign/signature": signature },
            },
          ],
        }),
      );
      manifests.push(await putManifest(REPO, `${imageDigest.replace(":", "-")}.sig`, OCI_MANIFEST, sig), imageDigest);
      refs[i] = `${REGISTRY}/${REPO}@${imageDigest}`;
    },
  );
  return { refs, manifests };
}

/** `durationMs` of gitdock's "checked the signatures of N image(s)" log line (stage image-signature). */
function verificationMs(stderr) {
  for (const line of stderr.split("\n")) {
    if (!line.includes('"stage":"image-signature"') || !line.includes('"durationMs"')) continue;
    try {
      return JSON.parse(line).durationMs;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

export async function imageSignatures({ stacks, perStack, reps, images, cleanup, log }) {
  const total = stacks * perStack;
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const dir = await tempDir(cleanup, "sig");
  const keyFile = path.join(dir, "cosign.pub");
  await writeFile(keyFile, publicKey.export({ type: "spki", format: "pem" }));
  const withPolicy = path.join(dir, "signed.yaml");
  await writeFile(withPolicy, `security:\n  policy:\n    image_signatures:\n      - scope: ${REGISTRY}/${REPO}\n        keys: [${keyFile}]\n`);

  log(`  making ${total} signed images`);
  const made = await signedImages(images.sleeper, total, privateKey);
  cleanup.add(`delete the ${made.manifests.length} bench manifests of ${REPO}`, () =>
    bounded(made.manifests, 8, (d) => fetch(`${BASE}/v2/${REPO}/manifests/${d}`, { method: "DELETE" }).then(() => undefined)),
  );
  cleanup.add("remove the bench's signed images", () => bounded(made.refs, 8, (ref) => run("docker", ["rmi", ref], { allowFail: true })));
  await bounded(made.refs, 8, (ref) => run("docker", ["pull", "-q", ref]));

  const stackNames = Array.from({ length: stacks }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);
  const files = Object.fromEntries(
    stackNames.map((s, si) => {
      let out = "services:\n";
      for (let i = 1; i <= perStack; i++) {
        out += `  svc${String(i).padStart(2, "0")}:\n    image: ${made.refs[si * perStack + i - 1]}\n    init: true\n    stop_grace_period: 1s\n    deploy:\n      update_config:\n        monitor: 0s\n`;
      }
      return [`${PREFIX}${s}/compose.yaml`, out];
    }),
  );
  const repo = await localRepo(await tempDir(cleanup, "sig-manifest"));
  await repo.commit(files);
  const clean = async () => {
    await removeContainers(PREFIX);
    await removeNetworks(PREFIX);
  };
  cleanup.add("remove the image-signature bench containers and networks", clean);
  let n = 0;
  const sync = async (config) => {
    const state = path.join(dir, `state-${++n}`);
    const args = ["sync", "--repo", repo.dir, "--state-dir", state, "--host-id", HOST_ID, ...(config ? ["--config", config] : [])];
    const r = await gitdock(args);
    return { state, out: r.stdout, verifiedMs: verificationMs(r.stderr) };
  };
  const expectRunning = async () => {
    const up = (await docker.listContainers({ filters: { status: ["running"] } })).filter((c) => c.Names[0].startsWith(`/${PREFIX}`)).length;
    if (up !== total) throw new Error(`expected ${total} running ${PREFIX}* containers, found ${up}`);
  };

  const apply = { plain: [], signed: [] };
  /** The verification's own time in each signed first apply, from gitdock's log line, and that apply's time. */
  const share = [];
  const noop = { plain: [], signed: [] };
  try {
    for (let i = 0; i < reps.create; i++) {
      for (const [kind, config] of [
        ["plain", undefined],
        ["signed", withPolicy],
      ]) {
        await clean();
        let state;
        let verifiedMs;
        apply[kind].push(await timed(async () => ({ state, verifiedMs } = await sync(config))));
        if (kind === "signed") {
          if (verifiedMs === undefined) throw new Error("the signed first apply logged no image-signature check");
          share.push({ verifiedMs, applyMs: apply.signed.at(-1) });
        }
        await expectRunning();
        for (let j = 0; j < reps.noop; j++) {
          noop[kind].push(
            await timed(() => gitdock(["sync", "--repo", repo.dir, "--state-dir", state, "--host-id", HOST_ID, ...(config ? ["--config", config] : [])])),
          );
        }
      }
      log(
        `  round ${i + 1}/${reps.create}: first apply without ${fmtMs(apply.plain.at(-1))}, with signatures ${fmtMs(apply.signed.at(-1))} (of which verifying ${fmtMs(share.at(-1).verifiedMs)})`,
      );
    }
  } finally {
    await clean();
  }
  return {
    title: `Image signatures: a first apply of ${total} services with ${total} distinct signed images (issue 15)`,
    peer: "no signature policy",
    columns: ["gitdock", "reference"],
    notes: [
      "The measured row: the verification's own time (gitdock's log line for it) against the whole first apply it was part of;",
      "the reference rows: the same first apply with and without the policy, and a no-op sync as a new process (which verifies again).",
      `Every service has an image of its own (${total} digests), signed in cosign's classic layout (ECDSA P-256) in the local registry;`,
      "images are local before each run, so the difference is verification: per image the .sig manifest, the payload blob and one",
      "signature check, 8 images at a time. A `gitdock sync` process verifies again (its cache lives as long as the process);",
      "a running agent keeps valid verdicts per digest and key set, so its idle passes ask no registry.",
    ],
    rows: [
      judge(
        row(
          `verifying ${total} images, within the signed first apply (median of ${reps.create})`,
          median(share.map((x) => x.verifiedMs)),
          median(share.map((x) => x.applyMs)),
          { ratio: 0.05, text: "< 5% of the apply" },
        ),
      ),
      row(`first apply, signatures required vs none (median of ${reps.create}, reference)`, median(apply.signed), median(apply.plain), undefined),
      row(`no-op sync as a new process (median of ${reps.create * reps.noop}, reference)`, median(noop.signed), median(noop.plain), undefined),
    ],
    raw: { apply, noop, share },
  };
}
