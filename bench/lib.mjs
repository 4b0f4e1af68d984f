/**
 * Helpers shared by the benchmark scenarios: processes, timing, the Engine, busybox images in the
 * local registry, manifest repositories made with the git CLI, a smart-HTTP Git server, cleanup and
 * tables. Everything the bench creates is named `gdb-...` so a crashed run can be swept up.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";

export const ROOT = path.resolve(import.meta.dirname, "..");
/** The CLI the bench runs; `snapshotDist` points it at a private copy of dist/. */
export let CLI = path.join(ROOT, "dist", "cli", "main.js");
export function setCli(file) {
  CLI = file;
}
export const REGISTRY = "127.0.0.1:5000";
export const PREFIX = "gdb-";
export const docker = new Docker({ socketPath: "/var/run/docker.sock" });

// ---------------------------------------------------------------------------------------------
// Processes and timing

/** Runs a command; resolves with its output, rejects on a non-zero exit unless `allowFail`. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let buffered = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!opts.onStderrLine) return;
      buffered += d;
      let i;
      while ((i = buffered.indexOf("\n")) >= 0) {
        opts.onStderrLine(buffered.slice(0, i), Date.now());
        buffered = buffered.slice(i + 1);
      }
    });
    child.on("error", reject);
    child.stdin.on("error", () => {}); // a child that exits without reading its input
    child.stdin.end(opts.input);
    child.on("close", (code) => {
      if (code === 0 || opts.allowFail) resolve({ code, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${(stderr || stdout).trim().slice(-2000)}`));
    });
  });
}

/** `gitdock <args>` from dist/ (pino JSON on stderr, since stderr is not a terminal). */
export function gitdock(args, opts = {}) {
  return run(process.execPath, [CLI, ...args], opts);
}

/** Wall time of `fn` in milliseconds. */
export async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; rejects after `timeoutMs`. */
export async function waitFor(what, fn, { timeoutMs = 60_000, intervalMs = 100 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * The body of GET `url` on a fresh connection (no keep-alive, so a socket to a container that is
 * gone can never stall a poll), or undefined when nothing answers 200 within `timeoutMs`.
 */
export function httpBody(url, timeoutMs = 300) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
      res.on("error", () => resolve(undefined));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/** LIFO list of undo steps; `run` attempts each one even when another fails. */
export class Cleanup {
  #steps = [];
  add(what, fn) {
    this.#steps.push({ what, fn });
  }
  async run() {
    while (this.#steps.length) {
      const { what, fn } = this.#steps.pop();
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup: ${what} failed: ${err.message}`);
      }
    }
  }
}

/** A temp directory `gdb-<name>-XXXX`, removed by `cleanup`. */
export async function tempDir(cleanup, name) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${name}-`));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Force-removes containers whose name starts with `prefix`; returns how many there were. Networks
 * are worked in parallel, but the containers of one network one at a time: concurrent removals on
 * one network can leave it with a phantom endpoint in Engine 20.10 ("has active endpoints").
 */
export async function removeContainers(prefix) {
  const all = await docker.listContainers({ all: true });
  const mine = all.filter((c) => c.Names.some((n) => n.replace(/^\//, "").startsWith(prefix)));
  const byNetwork = new Map();
  for (const c of mine) {
    const net = c.HostConfig?.NetworkMode ?? "";
    byNetwork.set(net, [...(byNetwork.get(net) ?? []), c]);
  }
  await bounded([...byNetwork.values()], 8, async (group) => {
    for (const c of group) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignore404);
  });
  return mine.length;
}

/** Networks the Engine will not remove ("has active endpoints" with no container left: an Engine bug). */
const stuckNetworks = new Set();

/**
 * Removes networks whose name starts with `prefix`. The Engine can report "active endpoints" for a
 * moment after the containers are gone, so a refused removal is retried for a few seconds; a network
 * still refused then is left (with a warning) rather than failing the run.
 */
export async function removeNetworks(prefix) {
  const nets = (await docker.listNetworks()).filter((n) => n.Name.startsWith(prefix) && !stuckNetworks.has(n.Id));
  for (const n of nets) {
    for (let attempt = 1; ; attempt++) {
      try {
        await docker.getNetwork(n.Id).remove();
        break;
      } catch (err) {
        if (err?.statusCode === 404) break;
        if (err?.statusCode !== 403) throw err;
        // "has active endpoints": under load the Engine releases a removed container's endpoint
        // late, or keeps a stale one; disconnect what it still lists, and give it up to 10 s.
        if (attempt % 4 === 0) await disconnectAll(n.Id);
        if (attempt >= 40) {
          stuckNetworks.add(n.Id);
          console.error(`warning: the Engine refuses to remove network ${n.Name} (${err.json?.message ?? err.message}); left in place`);
          break;
        }
        await sleep(250);
      }
    }
  }
}

async function disconnectAll(id) {
  const info = await docker
    .getNetwork(id)
    .inspect()
    .catch(() => undefined);
  for (const endpoint of Object.keys(info?.Containers ?? {})) {
    await docker
      .getNetwork(id)
      .disconnect({ Container: endpoint, Force: true })
      .catch(() => undefined);
  }
}

/** Everything a killed earlier run may have left: services, containers, networks and temp dirs named `gdb-...`. */
export async function sweep() {
  for (const name of await readdir(os.tmpdir())) {
    if (/^gdb-[a-z0-9-]+-[A-Za-z0-9]{6}$/.test(name)) await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  for (const s of await docker.listServices().catch(() => [])) {
    if (s.Spec?.Name?.startsWith(PREFIX)) await docker.getService(s.ID).remove().catch(ignore404);
  }
  await removeContainers(PREFIX);
  await removeNetworks(PREFIX);
}

function ignore404(err) {
  if (err?.statusCode !== 404 && err?.statusCode !== 409) throw err;
}

export async function bounded(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------------------------
// Images: FROM scratch + the static busybox, pushed to the local registry, digest-pinned.

const BASE_DOCKERFILE = `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n`;
export const WEB_PORT = 8080;
const HEALTHCHECK = `HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["/bin/wget","-q","-O-","http://127.0.0.1:${WEB_PORT}/healthz"]`;
const web = (body, healthz) => ({
  dockerfile: `FROM {{BASE}}\nCOPY www /www\n${HEALTHCHECK}\nCMD ["/bin/httpd","-f","-p","${WEB_PORT}","-h","/www"]\n`,
  files: { "www/index.html": body, ...(healthz ? { "www/healthz": "ok\n" } : {}) },
});
const VARIANTS = {
  sleeper: { dockerfile: `FROM {{BASE}}\nLABEL gdb.variant=sleeper\nCMD ["/bin/sleep","1000000"]\n`, files: {} },
  /** Serves `gdb-web-good`; its healthcheck passes. */
  web: web("gdb-web-good\n", true),
  /** Serves `gdb-web-bad`; its healthcheck (the same one) fails, so the container turns unhealthy. */
  "web-bad": web("gdb-web-bad\n", false),
};
export const GOOD_BODY = "gdb-web-good\n";

const hash = (...parts) => createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 12);

async function buildContext(files, dockerfile, fn) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}image-`));
  try {
    await writeFile(path.join(dir, "Dockerfile"), dockerfile);
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), content);
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const dockerCli = (args) => run("docker", args, { env: { DOCKER_BUILDKIT: "0" } });

async function repoDigest(ref, repo) {
  const r = await run("docker", ["image", "inspect", "--format", "{{json .RepoDigests}}", ref], { allowFail: true });
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout.trim()) ?? []).find((d) => d.startsWith(`${repo}@sha256:`));
}

/** Builds (or reuses) the bench images; returns name → `127.0.0.1:5000/gdb/<name>@sha256:...`. */
export async function buildImages() {
  const base = `gdb/base:${hash(BASE_DOCKERFILE)}`;
  if ((await run("docker", ["image", "inspect", base], { allowFail: true })).code !== 0) {
    await buildContext({}, BASE_DOCKERFILE, async (dir) => {
      await copyFile("/bin/busybox", path.join(dir, "busybox"));
      await dockerCli(["build", "-q", "-t", base, dir]);
    });
  }
  const out = {};
  for (const [name, v] of Object.entries(VARIANTS)) {
    const dockerfile = v.dockerfile.replace("{{BASE}}", base);
    const repo = `${REGISTRY}/gdb/${name}`;
    const ref = `${repo}:v${hash(dockerfile, JSON.stringify(v.files))}`;
    let pinned = await repoDigest(ref, repo);
    // A cached tag counts only while the registry still serves its digest.
    if (pinned && !(await registryHas(repo, pinned.split("@")[1]))) pinned = undefined;
    if (!pinned) {
      await buildContext(v.files, dockerfile, (dir) => dockerCli(["build", "-q", "-t", ref, dir]));
      await dockerCli(["push", "-q", ref]);
      pinned = await repoDigest(ref, repo);
    }
    if (!pinned) throw new Error(`${ref} has no RepoDigest after push`);
    out[name] = pinned;
  }
  return out;
}

async function registryHas(repo, digest) {
  const res = await fetch(`http://${REGISTRY}/v2/${repo.slice(REGISTRY.length + 1)}/manifests/${digest}`, {
    method: "HEAD",
    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  return res?.status === 200;
}

// ---------------------------------------------------------------------------------------------
// Manifest repositories (git CLI) and a smart-HTTP Git server

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "gitdock bench",
  GIT_AUTHOR_EMAIL: "bench@gitdock.invalid",
  GIT_COMMITTER_NAME: "gitdock bench",
  GIT_COMMITTER_EMAIL: "bench@gitdock.invalid",
};
export const git = (cwd, args, opts = {}) => run("git", args, { cwd, ...opts, env: { ...GIT_ENV, ...opts.env } });

/** A repository on branch `main` in `dir`; `commit(files)` writes files (null deletes) and commits. */
export async function localRepo(dir) {
  await git(dir, ["init", "-q", "--initial-branch=main"]);
  await git(dir, ["config", "commit.gpgsign", "false"]);
  return {
    dir,
    async commit(files, message = "bench") {
      for (const [rel, content] of Object.entries(files)) {
        const f = path.join(dir, rel);
        if (content === null) await rm(f, { recursive: true, force: true });
        else {
          await mkdir(path.dirname(f), { recursive: true });
          await writeFile(f, content);
        }
      }
      await git(dir, ["add", "-A"]);
      await git(dir, ["commit", "-q", "--allow-empty", "-m", message]);
      return (await git(dir, ["rev-parse", "HEAD"])).stdout.trim();
    },
  };
}

/** `git http-backend` behind node:http, exporting every repository under `root`. */
export async function startGitServer(root) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const env = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: "127.0.0.1",
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
    if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = req.headers["git-protocol"];
    const child = spawn("git", ["http-backend"], { env });
    child.stdin.on("error", () => {});
    child.stderr.resume();
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let done = false;
    child.stdout.on("data", (chunk) => {
      if (done) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const m = /\r?\n\r?\n/.exec(head.toString("latin1"));
      if (!m) return;
      done = true;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, m.index).toString("latin1").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i <= 0) continue;
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === "status") status = Number(v.slice(0, 3));
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(m.index + m[0].length));
    });
    child.on("close", () => (done ? res.end() : res.writeHead(500).end("http-backend gave no headers\n")));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Compose files and output

/** One stack's compose.yaml: `services` services of `image`, with the given `extra` YAML per service. */
export function composeFile(services, image, extra = "") {
  let out = "services:\n";
  for (let i = 1; i <= services; i++) {
    out += `  svc${String(i).padStart(2, "0")}:\n    image: ${image}\n    init: true\n    stop_grace_period: 1s\n${extra}`;
  }
  return out;
}

export const fmtMs = (ms) =>
  Number.isFinite(ms) ? (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`) : "n/a";

/** A scenario's result row: gitdock's and the peer's medians (ms), their ratio and the target. */
export function row(name, gitdockMs, peerMs, target, extra = {}) {
  const ratio = Number.isFinite(gitdockMs) && Number.isFinite(peerMs) && peerMs > 0 ? gitdockMs / peerMs : undefined;
  return { name, gitdockMs, peerMs, ratio, target, ...extra };
}

/** Prints rows as a fixed-width table. */
export function printTable(title, rows, columns) {
  const head = ["measure", ...columns, "ratio", "target", "met"];
  const lines = rows.map((r) => [
    r.name,
    r.gitdockText ?? fmtMs(r.gitdockMs),
    r.peerText ?? (r.peerMs === undefined ? "-" : fmtMs(r.peerMs)),
    r.ratio === undefined ? "-" : `${r.ratio.toFixed(3)}x`,
    r.target?.text ?? "-",
    r.met === undefined ? "-" : r.met ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`\n## ${title}\n`);
  console.log(fmt(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(fmt(l));
}

/** Decides `met` for a row: a ratio target (`{ratio: 0.1}`) or an absolute one (`{ms: 1000}`). */
export function judge(r) {
  if (!r.target) return r;
  if (r.target.ratio !== undefined && r.ratio !== undefined) r.met = r.ratio <= r.target.ratio;
  if (r.target.ms !== undefined && Number.isFinite(r.gitdockMs)) r.met = r.gitdockMs < r.target.ms;
  if (r.target.mb !== undefined && Number.isFinite(r.gitdockValue)) r.met = r.gitdockValue < r.target.mb;
  if (r.target.pct !== undefined && Number.isFinite(r.gitdockValue)) r.met = r.gitdockValue < r.target.pct;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Watching the engine

/** Streams Engine events matching `filters` to `onEvent`; returns a function that stops it. */
export async function watchEvents(filters, onEvent) {
  const stream = await docker.getEvents({ filters });
  let buf = "";
  stream.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onEvent(JSON.parse(line));
    }
  });
  stream.on("error", () => {});
  return () => stream.destroy();
}
