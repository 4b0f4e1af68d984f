/**
 * Tiny test images built from the static busybox with the legacy builder, pushed to the local
 * registry (127.0.0.1:5000) and returned as digest-pinned references. Each variant has a distinct
 * digest. Builds are cached: the tag is a hash of the variant's definition, and a variant is not
 * rebuilt while the local tag has a RepoDigest that the registry still serves.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export const REGISTRY = "127.0.0.1:5000";
export const REGISTRY_URL = `http://${REGISTRY}`;
export const IMAGE_REPO_PREFIX = "gitdock-test";
const BUSYBOX = "/bin/busybox";

export const TEST_IMAGE_NAMES = ["web-v1", "web-v2", "web-v3", "web-unhealthy", "web-hc", "web-hc-bad", "crash", "sleeper"] as const;
export type TestImageName = (typeof TEST_IMAGE_NAMES)[number];
/** name → digest-pinned reference, `127.0.0.1:5000/gitdock-test/<name>@sha256:<64 hex>`. */
export type TestImages = Record<TestImageName, string>;

/** Port the web variants listen on inside the container. */
export const WEB_PORT = 8080;

interface Variant {
  dockerfile: string;
  files: Record<string, string>;
}

const HTTPD_CMD = `CMD ["/bin/httpd","-f","-p","${WEB_PORT}","-h","/www"]`;
const HC = (p: string) => `HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["/bin/wget","-q","-O-","http://127.0.0.1:${WEB_PORT}${p}"]`;

function web(name: string, opts: { healthz: boolean; healthcheck?: string }): Variant {
  const files: Record<string, string> = { "www/index.html": `${name}\n` };
  if (opts.healthz) files["www/healthz"] = "ok\n";
  return {
    dockerfile: ["FROM {{BASE}}", "COPY www /www", `EXPOSE ${WEB_PORT}`, ...(opts.healthcheck ? [opts.healthcheck] : []), HTTPD_CMD, ""].join("\n"),
    files,
  };
}

const VARIANTS: Record<TestImageName, Variant> = {
  "web-v1": web("web-v1", { healthz: true }),
  "web-v2": web("web-v2", { healthz: true }),
  "web-v3": web("web-v3", { healthz: true }),
  "web-unhealthy": web("web-unhealthy", { healthz: false }),
  "web-hc": web("web-hc", { healthz: true, healthcheck: HC("/healthz") }),
  "web-hc-bad": web("web-hc-bad", { healthz: true, healthcheck: HC("/missing-healthz") }),
  crash: {
    dockerfile: `FROM {{BASE}}\nLABEL gitdock.test.variant=crash\nCMD ["/bin/sh","-c","echo boom; exit 3"]\n`,
    files: {},
  },
  sleeper: {
    dockerfile: `FROM {{BASE}}\nLABEL gitdock.test.variant=sleeper\nCMD ["/bin/sleep","100000"]\n`,
    files: {},
  },
};

const BASE_DOCKERFILE = `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n`;

async function docker(args: string[], opts: { quiet?: boolean } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP("docker", args, {
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    if (opts.quiet) throw err;
    throw new Error(`docker ${args.join(" ")} failed: ${(e.stderr || e.stdout || e.message).trim()}`, { cause: err });
  }
}

function hash(parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 12);
}

async function withContext<T>(files: Record<string, string>, dockerfile: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-image-"));
  try {
    await writeFile(path.join(dir, "Dockerfile"), dockerfile);
    for (const [rel, content] of Object.entries(files)) {
      const f = path.join(dir, rel);
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, content);
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The pinned reference of a local tag, if it has a RepoDigest for its repository. */
async function localPinned(repo: string, tag: string): Promise<string | null> {
  let out: string;
  try {
    out = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", `${repo}:${tag}`], { quiet: true });
  } catch {
    return null;
  }
  const digests = JSON.parse(out.trim() || "[]") as string[] | null;
  return (digests ?? []).find((d) => d.startsWith(`${repo}@sha256:`)) ?? null;
}

/** Whether the registry serves `<repo>:<tag>` with the digest of `pinned`. */
async function registryServes(repo: string, tag: string, pinned: string): Promise<boolean> {
  const path_ = repo.slice(REGISTRY.length + 1);
  try {
    const res = await fetch(`${REGISTRY_URL}/v2/${path_}/manifests/${tag}`, {
      method: "GET",
      headers: {
        Accept: ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"].join(", "),
      },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    if (res.status !== 200) return false;
    const digest = res.headers.get("docker-content-digest");
    return digest === null || pinned.endsWith(`@${digest}`);
  } catch {
    return false;
  }
}

async function buildBase(): Promise<string> {
  const tag = `${IMAGE_REPO_PREFIX}/base:${hash([BASE_DOCKERFILE])}`;
  try {
    await docker(["image", "inspect", "--format", "{{.Id}}", tag], { quiet: true });
    return tag;
  } catch {
    /* build it */
  }
  await withContext({}, BASE_DOCKERFILE, async (dir) => {
    await copyFile(BUSYBOX, path.join(dir, "busybox"));
    await docker(["build", "-q", "-t", tag, dir]);
  });
  return tag;
}

async function buildVariant(name: TestImageName, base: string): Promise<string> {
  const v = VARIANTS[name];
  const dockerfile = v.dockerfile.replace("{{BASE}}", base);
  const repo = `${REGISTRY}/${IMAGE_REPO_PREFIX}/${name}`;
  const tag = `v${hash([dockerfile, JSON.stringify(Object.entries(v.files).sort())])}`;
  const cached = await localPinned(repo, tag);
  if (cached && (await registryServes(repo, tag, cached))) return cached;
  await withContext(v.files, dockerfile, async (dir) => {
    await docker(["build", "-q", "-t", `${repo}:${tag}`, dir]);
  });
  await docker(["push", "-q", `${repo}:${tag}`]);
  const pinned = await localPinned(repo, tag);
  if (!pinned || !/@sha256:[0-9a-f]{64}$/.test(pinned)) {
    throw new Error(`pushed ${repo}:${tag} but it has no RepoDigest (got ${String(pinned)})`);
  }
  return pinned;
}

let building: Promise<TestImages> | null = null;

/** Builds (or reuses) every test image; returns name → digest-pinned reference. */
export function buildTestImages(): Promise<TestImages> {
  building ??= (async () => {
    const base = await buildBase();
    const out: Partial<TestImages> = {};
    // Sequential: the machine has two cores and the legacy builder is not worth parallelising.
    for (const name of TEST_IMAGE_NAMES) out[name] = await buildVariant(name, base);
    const refs = Object.values(out);
    if (new Set(refs.map((r) => r.split("@")[1])).size !== refs.length) {
      throw new Error(`test images do not have distinct digests: ${JSON.stringify(out)}`);
    }
    return out as TestImages;
  })();
  building.catch(() => {
    building = null;
  });
  return building;
}
