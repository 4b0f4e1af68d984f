import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerConfig } from "../../src/apply/container-config.js";
import { storeDirOf, type RepoFileSettings } from "../../src/manifest/index.js";
import { loadManifest, loadStacks } from "../../src/manifest/index.js";
import { resolveHostInputs } from "../../src/observe/index.js";
import { makePlan } from "../../src/plan/plan.js";
import type { ResolvedState } from "../../src/plan/types.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { hostMatching } from "./helpers/fake-state.js";
import { repoTree } from "./helpers/repo-tree.js";

const KEY = Buffer.alloc(32, 3);
let stateDir: string;
let files: RepoFileSettings;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), "gdt-files-hash-"));
  files = { store: storeDirOf(stateDir), dataRoot: "/srv/gitdock" };
});
afterAll(async () => rm(stateDir, { recursive: true, force: true }));

const COMPOSE = `name: shop
services:
  proxy:
    image: ${IMAGE}
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro", "./data:/data"]
    env_file: .env
  app:
    image: ${IMAGE}
    configs: [{source: motd, target: /etc/motd, mode: 0440}]
  worker:
    image: ${IMAGE}
    volumes: ["./data:/data"]
configs:
  motd:
    file: ./motd
`;

/** The stack `shop` of one commit whose files are the defaults with `changes` applied, resolved on the host. */
async function commit(sha: string, changes: Record<string, string> = {}, key = KEY): Promise<ResolvedState> {
  const tree = repoTree("hosts/h1", {
    "hosts/h1/shop/compose.yaml": COMPOSE,
    "hosts/h1/shop/nginx.conf": "events {}\n",
    "hosts/h1/shop/motd": "hello\n",
    "hosts/h1/shop/.env": "MODE=one\n",
    ...changes,
  });
  const { stacks } = loadManifest(tree, { files });
  return resolveHostInputs({ commit: sha.repeat(40), stacks }, key);
}

const reasons = (before: ResolvedState, after: ResolvedState) =>
  makePlan(after, hostMatching(before), { release: true })
    .actions.filter((a) => a.kind !== "unchanged")
    .map((a) => `${a.kind} ${a.container}: ${a.reasons.join("; ")}`);

describe("the spec hash covers the content of files from the repository", () => {
  it("is the same for the same content, whatever the commit", async () => {
    expect(reasons(await commit("a"), await commit("b"))).toEqual([]);
  });

  it("replaces exactly the services that mount a changed file, and says which setting changed", async () => {
    const before = await commit("a");
    expect(reasons(before, await commit("b", { "hosts/h1/shop/nginx.conf": "events { worker_connections 64; }\n" }))).toEqual([
      "replace shop-proxy-1: config changed: volumes",
    ]);
    expect(reasons(before, await commit("c", { "hosts/h1/shop/motd": "hello again\n" }))).toEqual(["replace shop-app-1: config changed: configs"]);
    expect(reasons(before, await commit("d", { "hosts/h1/shop/.env": "MODE=two\n" }))).toEqual(["replace shop-proxy-1: config changed: environment"]);
  });

  it("keys only the host's env file values: a new host key leaves services with env files of the repository alone", async () => {
    const before = await commit("a");
    const rekeyed = await commit("a", {}, Buffer.alloc(32, 4));
    expect(reasons(before, rekeyed)).toEqual([]);
  });

  it("ignores files nothing mounts", async () => {
    expect(reasons(await commit("a"), await commit("b", { "hosts/h1/shop/README.md": "notes\n" }))).toEqual([]);
  });

  it("mounts each file read-only from the store, where the host inputs made it", async () => {
    const resolved = await commit("a");
    const stack = resolved.stacks[0]!;
    const byName = new Map(stack.services.map((s) => [s.service.name, s]));
    const create = (name: string) =>
      containerConfig({ stack: stack.stack, service: byName.get(name)!, number: 1, commit: resolved.commit, agentId: "h" }).create;
    expect(create("proxy").HostConfig?.Mounts).toEqual([
      { Type: "bind", Source: expect.stringMatching(new RegExp(`^${files.store}/sha256/[0-9a-f]{64}$`)), Target: "/etc/nginx/nginx.conf", ReadOnly: true },
      { Type: "bind", Source: "/srv/gitdock/shop/data", Target: "/data", ReadOnly: false },
    ]);
    expect(create("proxy").Env).toContain("MODE=one");
    expect(create("app").HostConfig?.Mounts).toEqual([
      { Type: "bind", Source: expect.stringMatching(new RegExp(`^${files.store}/sha256/[0-9a-f]{64}\\.0440$`)), Target: "/etc/motd", ReadOnly: true },
    ]);
  });

  it("leaves the spec of a service without files from the repository as it was before they existed", async () => {
    const plain = loadStacks([{ path: "s/x/compose.yaml", content: `services:\n  web:\n    image: ${IMAGE}\n` }], { root: "s" });
    expect(Object.keys(plain[0]!.services[0]!.container)).not.toContain("configs");
    expect(plain[0]).not.toHaveProperty("storeObjects");
  });
});
