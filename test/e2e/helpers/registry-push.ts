/**
 * Pushing through the registry API itself (no docker CLI): blobs, manifests and an OCI image index
 * of two platforms, for `gitdock pin`'s end-to-end test. The images are tiny and real: a gzipped
 * tar layer with one file and an OCI config that `docker pull` accepts.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { gzipSync } from "node:zlib";

export interface RegistryTarget {
  /** `http://127.0.0.1:5000`, `https://172.16.0.1:40123`. */
  base: string;
  /** The Authorization header for pushes to `repo` (Basic, or a Bearer token for that repository), if the registry wants one. */
  authorization?: (repo: string) => string;
  /** The CA of a test registry served over HTTPS. */
  ca?: Buffer;
}

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(t: RegistryTarget, repo: string, method: string, pathOrUrl: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const url = new URL(pathOrUrl, t.base);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const auth = t.authorization ? { Authorization: t.authorization(repo) } : {};
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method, headers: { ...auth, ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) }, ...(t.ca ? { ca: t.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${url.href}: no answer within 20s`)));
    req.on("error", reject);
    req.end(body);
  });
}

function expectStatus(res: Answer, want: number, what: string): void {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString("utf8").slice(0, 300)}`);
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Uploads a blob (POST for an upload location, then one PUT with the digest); returns its digest. */
export async function pushBlob(t: RegistryTarget, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await call(t, repo, "POST", `/v2/${repo}/blobs/uploads/`);
  expectStatus(start, 202, `starting an upload to ${repo}`);
  const location = new URL(String(start.headers.location), t.base);
  location.searchParams.set("digest", digest);
  const put = await call(t, repo, "PUT", location.href, { "Content-Type": "application/octet-stream" }, bytes);
  expectStatus(put, 201, `uploading ${digest} to ${repo}`);
  return digest;
}

/** PUTs a manifest or index under `reference` (a tag or its digest); returns its digest. */
export async function putManifest(t: RegistryTarget, repo: string, reference: string, mediaType: string, body: Buffer): Promise<string> {
  const res = await call(t, repo, "PUT", `/v2/${repo}/manifests/${reference}`, { "Content-Type": mediaType }, body);
  expectStatus(res, 201, `putting manifest ${repo}:${reference}`);
  return sha256(body);
}

/** Deletes a manifest by digest (the registry runs with delete enabled); its tags go with it. */
export async function deleteManifest(t: RegistryTarget, repo: string, digest: string): Promise<void> {
  const res = await call(t, repo, "DELETE", `/v2/${repo}/manifests/${digest}`);
  if (res.status !== 202 && res.status !== 404) expectStatus(res, 202, `deleting ${repo}@${digest}`);
}

/** A one-file ustar archive, as a layer's uncompressed content. */
function tarWithOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, "ascii");
  field(0, 100, name);
  field(100, 8, "0000644\0");
  field(108, 8, "0000000\0");
  field(116, 8, "0000000\0");
  field(124, 12, `${content.length.toString(8).padStart(11, "0")}\0`);
  field(136, 12, "00000000000\0");
  field(156, 1, "0");
  field(257, 8, "ustar\u000000");
  header.fill(" ", 148, 156);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  field(148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export interface Platform {
  os: string;
  architecture: string;
}

/**
 * Pushes a single-platform OCI image whose one layer holds `/platform.txt` and whose config says
 * its platform and carries the label `gdt.platform`; tags it when `tag` is given. Returns the
 * manifest's digest and bytes.
 */
export async function pushTinyImage(t: RegistryTarget, repo: string, platform: Platform, tag?: string): Promise<{ digest: string; body: Buffer }> {
  const name = `${platform.os}/${platform.architecture}`;
  const tar = tarWithOneFile("platform.txt", Buffer.from(`${name}\n`));
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: { Labels: { "gdt.platform": name }, Cmd: ["/platform.txt"] },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  const configDigest = await pushBlob(t, repo, config);
  const layerDigest = await pushBlob(t, repo, layer);
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
    }),
  );
  const digest = await putManifest(t, repo, tag ?? sha256(body), OCI_MANIFEST, body);
  return { digest, body };
}

/** An OCI image index for linux/amd64 and linux/arm64, tagged `tag`; returns its digest and its manifests' by architecture. */
export async function pushTwoPlatformIndex(t: RegistryTarget, repo: string, tag: string): Promise<{ digest: string; manifests: Record<string, string> }> {
  const platforms: Platform[] = [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64" },
  ];
  const entries = [];
  const manifests: Record<string, string> = {};
  for (const platform of platforms) {
    const { digest, body } = await pushTinyImage(t, repo, platform);
    manifests[platform.architecture] = digest;
    entries.push({ mediaType: OCI_MANIFEST, digest, size: body.length, platform });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  return { digest: await putManifest(t, repo, tag, OCI_INDEX, index), manifests };
}
