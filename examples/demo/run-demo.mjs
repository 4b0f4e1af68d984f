#!/usr/bin/env node
/**
 * `npm run demo`: gitdock's main job on this machine, end to end.
 *  1. builds two tiny demo images (busybox, FROM scratch) and pushes them to the local registry
 *     at 127.0.0.1:5000 to get digest-pinned references;
 *  2. makes a manifest repository with two stacks (examples/demo/manifests) in a temp directory;
 *  3. `gitdock sync` creates everything; a new release commit changes one digest; `gitdock plan`
 *     shows the change; a second `gitdock sync` replaces exactly that service behind its health gate;
 *  4. cleans up (pass --keep to leave the containers running and look around).
 * Needs a Docker Engine and the registry: `bash scripts/test-env.sh` installs and starts both.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = import.meta.dirname;
const cli = path.resolve(here, "../../dist/cli/main.js");
const keep = process.argv.includes("--keep");
const REGISTRY = "127.0.0.1:5000";
const PROJECTS = ["demo-shop", "demo-blog"];

async function sh(cmd, args, opts = {}) {
  const { stdout } = await run(cmd, args, { maxBuffer: 16 << 20, ...opts });
  return stdout.trim();
}

function say(text) {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function preflight() {
  try {
    await sh("docker", ["info", "--format", "{{.ServerVersion}}"]);
    const r = await fetch(`http://${REGISTRY}/v2/`);
    if (!r.ok) throw new Error(`registry answered ${r.status}`);
  } catch (err) {
    console.error(`The demo needs a Docker Engine and a registry on ${REGISTRY}: ${err.message}\nRun: bash scripts/test-env.sh`);
    process.exit(1);
  }
}

/** Build `demo/web:<version>` serving its version on / and ok on /healthz; return the pinned reference. */
async function buildImage(version) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gitdock-demo-img-"));
  try {
    await cp("/bin/busybox", path.join(dir, "busybox"));
    await writeFile(path.join(dir, "index.html"), `demo web ${version}\n`);
    await writeFile(path.join(dir, "healthz"), "ok\n");
    await writeFile(
      path.join(dir, "Dockerfile"),
      [
        "FROM scratch",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        "COPY index.html healthz /www/",
        'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      ].join("\n"),
    );
    const tag = `${REGISTRY}/gitdock-demo/web:${version}`;
    await sh("docker", ["build", "-q", "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
    await sh("docker", ["push", "-q", tag]);
    return sh("docker", ["inspect", "--format", "{{index .RepoDigests 0}}", tag]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function gitdock(args) {
  process.stdout.write(`$ gitdock ${args.join(" ")}\n`);
  try {
    const out = await sh(process.execPath, [cli, ...args], { env: { ...process.env, GITDOCK_LOG_LEVEL: "warn" } });
    if (out) process.stdout.write(`${out}\n`);
  } catch (err) {
    process.stdout.write(`${err.stdout ?? ""}${err.stderr ?? ""}`);
    throw new Error(`gitdock ${args[0]} exited ${err.code}`);
  }
}

async function showContainers() {
  const rows = await sh("docker", ["ps", "-a", "--filter", "label=gitdock.agent=demo", "--format", "{{.Names}}\t{{.Status}}\t{{.Image}}"]);
  process.stdout.write(
    `${rows
      .split("\n")
      .sort()
      .map((r) => `  ${r}`)
      .join("\n")}\n`,
  );
}

async function cleanUp(stateDir, repoDir) {
  const ids = await sh("docker", ["ps", "-aq", "--filter", "label=gitdock.agent=demo"]);
  if (ids) await sh("docker", ["rm", "-f", ...ids.split("\n")]);
  for (const p of PROJECTS) await sh("docker", ["network", "rm", `${p}_default`]).catch(() => "");
  await rm(stateDir, { recursive: true, force: true });
  await rm(repoDir, { recursive: true, force: true });
}

async function main() {
  await preflight();
  say("Building demo images and pushing them to the local registry for digests");
  const [v1, v2] = [await buildImage("v1"), await buildImage("v2")];
  console.log(`  v1: ${v1}\n  v2: ${v2}`);

  const repoDir = await mkdtemp(path.join(os.tmpdir(), "gitdock-demo-repo-"));
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "gitdock-demo-state-"));
  const common = ["--repo", repoDir, "--path", "hosts/demo", "--state-dir", stateDir, "--host-id", "demo"];
  const git = (args) => sh("git", ["-c", "user.name=gitdock demo", "-c", "user.email=demo@gitdock.invalid", ...args], { cwd: repoDir });
  try {
    await git(["init", "-q", "-b", "main"]);
    const render = async (shopImage) => {
      for (const stack of ["shop", "blog"]) {
        const template = await readFile(path.join(here, "manifests", stack, "compose.yaml"), "utf8");
        const text = template.replaceAll("{{SHOP_IMAGE}}", shopImage).replaceAll("{{BLOG_IMAGE}}", v1);
        await cp(path.join(here, "manifests", stack), path.join(repoDir, "hosts/demo", stack), { recursive: true });
        await writeFile(path.join(repoDir, "hosts/demo", stack, "compose.yaml"), text);
      }
    };
    say("A manifest repository with two stacks (examples/demo/manifests)");
    await render(v1);
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", "shop and blog at v1"]);
    await gitdock(["validate", path.join(repoDir, "hosts/demo")]);

    say("First sync: gitdock creates every container");
    await gitdock(["sync", ...common]);
    await showContainers();

    say("A new release: shop's web image moves to v2 (one digest in one file)");
    await render(v2);
    await git(["commit", "-q", "-am", "shop web v2"]);
    await gitdock(["plan", ...common]);

    say("Second sync: exactly that service is replaced, behind its health gate");
    await gitdock(["sync", ...common]);
    await showContainers();
    await gitdock(["status", "--state-dir", stateDir, "--host-id", "demo"]);
  } finally {
    if (keep) console.log(`\nLeft running (--keep). State: ${stateDir}, repo: ${repoDir}`);
    else {
      say("Cleaning up");
      await cleanUp(stateDir, repoDir);
    }
  }
}

main().catch((err) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
