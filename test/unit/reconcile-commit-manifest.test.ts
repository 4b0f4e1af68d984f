/**
 * A commit's manifest as a host reads it (src/reconcile/commit-manifest.ts): the host's variables
 * files and active profiles are read on every pass, and the cached parse follows them, as it follows
 * where the host keeps files of the repository and data directories.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/load-settings.js";
import type { Settings } from "../../src/config/settings.js";
import { HostVariableMissingError, ManifestInvalidError } from "../../src/errors.js";
import { commitManifestKey, readCommitManifest } from "../../src/reconcile/commit-manifest.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";

let dir: string;
let work: string;
let vars: string;
let commit: string;

const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: work, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dir } })
    .toString()
    .trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gdt-commit-manifest-"));
  work = join(dir, "repo");
  vars = join(dir, "env");
  mkdirSync(join(work, "hosts/h1/shop"), { recursive: true });
  mkdirSync(vars);
  const compose = `services:
  web:
    image: ${IMAGE}
    environment:
      DB_PASSWORD: \${DB_PASSWORD}
      TAG: \${TAG}
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro", "./data:/data"]
  debug:
    image: ${IMAGE}
    profiles: [debug]
`;
  writeFileSync(join(work, "hosts/h1/shop/compose.yaml"), compose);
  writeFileSync(join(work, "hosts/h1/shop/.env"), "TAG=from-repo\n");
  writeFileSync(join(work, "hosts/h1/shop/nginx.conf"), "events {}\n");
  git("init", "-q", "--initial-branch=main");
  git("add", "-A");
  git("-c", "user.name=T", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "shop");
  commit = git("rev-parse", "HEAD");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function settings(extra = ""): Promise<Settings> {
  const config = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(config, `path: hosts/h1\nmanifest:\n  variables_dir: ${vars}\n${extra}security:\n  policy:\n    env_file_roots: [${vars}]\n`);
  return loadSettings({ config, stateDir: join(dir, "state") });
}

const gitdir = () => join(work, ".git");
const environmentOf = async (s: Settings) =>
  (await readCommitManifest(gitdir(), commit, s)).stacks[0]?.services.find((x) => x.name === "web")?.container.environment;

describe("a commit's manifest on a host", () => {
  it("fails, for the host to act (retry), while a variable only the host sets is missing", async () => {
    const err = await readCommitManifest(gitdir(), commit, await settings()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostVariableMissingError);
    expect((err as HostVariableMissingError).problems[0]?.message).toContain(`set it on the host in ${vars}/shop.env`);
  });

  it("takes the host's values, over the repository's .env, and follows a changed file at the next read", async () => {
    const s = await settings();
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=first\n");
    expect(await environmentOf(s)).toEqual({ DB_PASSWORD: "first", TAG: "from-repo" });
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=second\nTAG=from-host\n");
    expect(await environmentOf(s)).toEqual({ DB_PASSWORD: "second", TAG: "from-host" });
  });

  it("deploys a profile's services only where the host activates it", async () => {
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=x\n");
    const names = async (s: Settings) => (await readCommitManifest(gitdir(), commit, s)).stacks[0]?.services.map((x) => x.name);
    expect(await names(await settings())).toEqual(["web"]);
    expect(await names(await settings("  profiles: [debug]\n"))).toEqual(["debug", "web"]);
  });

  it("follows where the host keeps files of the repository and data directories, in the cache key too", async () => {
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=x\n");
    const at = async (stateDir: string, dataRoot?: string) => {
      const config = join(dir, `files-${Math.random().toString(36).slice(2)}.yaml`);
      const files = dataRoot ? `files:\n  data_root: ${dataRoot}\n` : "";
      writeFileSync(config, `path: hosts/h1\nmanifest:\n  variables_dir: ${vars}\n${files}security:\n  policy:\n    env_file_roots: [${vars}]\n`);
      return loadSettings({ config, stateDir: join(dir, stateDir) });
    };
    const mountsOf = async (s: Settings) => (await readCommitManifest(gitdir(), commit, s)).stacks[0]?.services.find((x) => x.name === "web")?.container.mounts;
    const [one, two, elsewhere] = [await at("state-one"), await at("state-two"), await at("state-one", "/data/gitdock")];
    expect((await mountsOf(one))?.map((m) => (m.type === "bind" ? m.source : ""))).toEqual([
      expect.stringMatching(new RegExp(`^${join(dir, "state-one")}/files/sha256/[0-9a-f]{64}$`)),
      "/srv/gitdock/shop/data",
    ]);
    expect((await mountsOf(two))?.[0]).toMatchObject({ source: expect.stringMatching(new RegExp(`^${join(dir, "state-two")}/files/sha256/`)) });
    expect((await mountsOf(elsewhere))?.[1]).toMatchObject({ source: "/data/gitdock/shop/data" });
    const keys = await Promise.all([one, two, elsewhere].map((s) => commitManifestKey(gitdir(), commit, s)));
    expect(new Set(keys).size).toBe(3);
  });
  it("reads the commit as the host's engine runs it: on a Swarm, whose nodes lack gitdock's store, files of the repository are refused", async () => {
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=x\n");
    const containers = await settings();
    const swarm = await settings("engine: swarm\n");
    expect(await commitManifestKey(gitdir(), commit, swarm)).not.toBe(await commitManifestKey(gitdir(), commit, containers));
    const web = (await readCommitManifest(gitdir(), commit, containers)).stacks[0]?.services.find((x) => x.name === "web");
    expect(web).toBeDefined();
    expect(web).not.toHaveProperty("swarm");
    const err = await readCommitManifest(gitdir(), commit, swarm).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestInvalidError);
    expect((err as ManifestInvalidError).problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
      "7:15 services.web.volumes[0]",
      "7:56 services.web.volumes[1]",
    ]);
  });
});
