/**
 * The host policy and gitdock's store: files of the repository are mounted read-only from inside
 * the state directory, the one exception to "never the agent's own files" — read-only only, and
 * nothing else of the state directory with it.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindRootsOf, checkHostPath, withStoreRoots } from "../../src/apply/host-bind-sources.js";
import { checkEngineRequests } from "../../src/apply/check-requests.js";
import { guardedFilesOf } from "../../src/config/guarded-files.js";
import { loadSettings } from "../../src/config/load-settings.js";
import { storeDirOf } from "../../src/manifest/index.js";
import { loadManifest } from "../../src/manifest/index.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { checkPolicy, guardedPaths, judgeEngineRequests, type EngineRequest } from "../../src/policy/index.js";
import { touchesGuarded } from "../../src/policy/guarded-paths.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { repoTree } from "./helpers/repo-tree.js";

const STATE = "/var/lib/gitdock";
const STORE = `${STATE}/files`;
const GUARDED = guardedPaths(["/etc/gitdock/config.yaml", STATE], [STORE]);
const STACKS = new Map([["app", { containers: new Set(["app-web-1"]), networks: new Map(), volumes: new Map() }]]);

function judge(source: string, readOnly: boolean, guarded = GUARDED): string[] {
  const request: EngineRequest = {
    kind: "container-create",
    body: { name: "app-web-1", Image: IMAGE, HostConfig: { Mounts: [{ Type: "bind", Source: source, Target: "/x", ReadOnly: readOnly }] } },
    origin: { file: "hosts/h1/app/compose.yaml", project: "app", path: ["services", "web"] },
  };
  return judgeEngineRequests([request], { policy: DEFAULT_POLICY, guarded, stacks: STACKS }).map((v) => v.message);
}

describe("the store as a read-only root inside the guarded state directory", () => {
  it("allows a store object read-only, whatever the bind roots", () => {
    expect(judge(`${STORE}/sha256/${"a".repeat(64)}`, true)).toEqual([]);
    expect(judge(`${STORE}/trees/${"b".repeat(64)}`, true)).toEqual([]);
  });

  it("refuses it read-write as the agent's own state", () => {
    expect(judge(`${STORE}/sha256/${"a".repeat(64)}`, false)).toEqual([expect.stringMatching(/would expose the agent's own \/var\/lib\/gitdock/)]);
  });

  it("refuses the rest of the state directory, read-only too, however the path is spelled", () => {
    for (const source of [STATE, `${STATE}/host.key`, `${STORE}/../host.key`, `${STORE}/sha256/../../agent.token`, "/var/lib"]) {
      expect(judge(source, true), source).toEqual([expect.stringMatching(/would expose the agent's own/)]);
    }
  });

  it("keeps any other guarded path guarded, even inside the store", () => {
    const odd = guardedPaths(["/etc/gitdock/config.yaml", STATE, `${STORE}/sha256/creds`], [STORE]);
    expect(judge(`${STORE}/sha256/creds`, true, odd)).toEqual([expect.stringMatching(/agent's own \/var\/lib\/gitdock\/files\/sha256\/creds/)]);
    expect(touchesGuarded(`${STORE}/sha256/x`, odd, { readOnly: true })).toBeUndefined();
  });

  it("is no exception where no store is named", () => {
    expect(judge(`${STORE}/sha256/${"a".repeat(64)}`, true, guardedPaths([STATE]))).toEqual([expect.stringMatching(/would expose the agent's own/)]);
  });

  it("is the state directory's store, from the agent's settings", async () => {
    const settings = await loadSettings({ stateDir: "/tmp/gdt-files-policy-state" });
    // The store, and the tmpfs of decrypted secrets (which is itself guarded: only exact files are excused).
    expect(guardedFilesOf(settings).readOnlyRoots).toEqual([storeDirOf("/tmp/gdt-files-policy-state"), "/run/gitdock/secrets"]);
    expect(guardedFilesOf(settings).paths).toContain("/tmp/gdt-files-policy-state");
    expect(guardedFilesOf(settings).paths).toContain("/run/gitdock/secrets");
  });
});

describe("the policy on stacks with files of the repository and data directories", () => {
  const compose = `name: app\nservices:\n  web:\n    image: ${IMAGE}\n    volumes: ["./nginx.conf:/etc/nginx/nginx.conf", "./data:/data"]\n    configs: [motd]\nconfigs:\n  motd:\n    content: hi\n`;
  const tree = repoTree("hosts/h1", { "hosts/h1/app/compose.yaml": compose, "hosts/h1/app/nginx.conf": "events {}" });
  const load = (dataRoot: string) => loadManifest(tree, { files: { store: STORE, dataRoot } });

  it("accepts store mounts and a data directory under the bind roots, on the stack and on the Engine requests", () => {
    const { stacks, sources } = load("/srv/gitdock");
    expect(checkPolicy(stacks, DEFAULT_POLICY, sources, GUARDED)).toEqual([]);
    expect(checkEngineRequests({ commit: "c".repeat(40), stacks }, { policy: DEFAULT_POLICY, guarded: GUARDED, agentId: "h1", sources })).toEqual([]);
  });

  it("says where a data directory outside the bind roots comes from and what to change", () => {
    const { stacks, sources } = load("/data/gitdock");
    const found = checkPolicy(stacks, DEFAULT_POLICY, sources, GUARDED);
    expect(found.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)).toEqual([
      '5:53 services.web.volumes[1]: "./data" is not in the repository, so it is a data directory, /data/gitdock/app/data on this host, which is outside the directories the host policy allows for bind mounts (/srv, /var/lib/gitdock-data); set files.data_root in the agent\'s config to a directory under bind_roots (or commit the file, if it should come from the repository)',
    ]);
  });
});

describe("store objects on the host", () => {
  let dir: string;
  let store: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gdt-files-policy-"));
    store = storeDirOf(dir);
    await mkdir(path.join(store, "sha256"), { recursive: true });
    await writeFile(path.join(store, "sha256", "ok"), "x");
    await symlink("/etc/shadow", path.join(store, "sha256", "link"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("are checked under the store's root, without following symlinks", async () => {
    const roots = withStoreRoots(bindRootsOf(DEFAULT_POLICY), [{ store }]);
    expect(await checkHostPath(path.join(store, "sha256", "ok"), roots.readOnly, { create: false })).toEqual({ ok: true });
    expect(await checkHostPath(path.join(store, "sha256", "link"), roots.readOnly, { create: false })).toEqual({
      ok: false,
      reason: expect.stringMatching(/is a symbolic link/),
    });
    expect(await checkHostPath(path.join(store, "sha256", "ok"), roots.readWrite, { create: false })).toEqual({
      ok: false,
      reason: expect.stringMatching(/outside the allowed roots/),
    });
    expect(withStoreRoots(bindRootsOf(DEFAULT_POLICY), undefined)).toEqual(bindRootsOf(DEFAULT_POLICY));
  });
});
