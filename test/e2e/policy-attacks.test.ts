/**
 * A hostile commit under the default host policy, on the real Engine, registry and Git server: each
 * attack of issue 10 (and variants) is pushed as a commit and synced. Each must be refused with a
 * clear reason (exit 4), with nothing of the commit created on the Engine and the host still at the
 * last good commit. Then a symlink planted by a container in the middle of a rollout: the bind is
 * refused right before its create and the rollout is rolled back.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitdock } from "../support/cli.js";
import { containersOf, dockerCli, dockerClient, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-atk-";
const WEB = `${P}web`;
const BAD = `${P}bad`;
const SRV = `/srv/${P}${randomBytes(4).toString("hex")}`;
const OUTSIDE = `/tmp/${P}outside-${randomBytes(4).toString("hex")}`;
const VICTIM = `${P}victim`;
const FOREIGN_NET = `${P}foreign-net`;
const FOREIGN_VOL = `${P}foreign-vol`;

let repo: ManifestRepo;
let host: TestHost;
let good: string;

const images = () => testEnv().images;

async function pushBad(compose: string, message: string): Promise<string> {
  await repo.write("hosts/h1/bad/compose.yaml", `name: ${BAD}\n${compose}`);
  return repo.commit(message);
}

/** Nothing of the bad stack on the Engine, and the good stack still at the last good commit. */
async function expectUntouched(): Promise<void> {
  expect(await containersOf(BAD)).toEqual([]);
  const docker = dockerClient();
  expect((await docker.listVolumes()).Volumes?.filter((v) => v.Name.startsWith(`${BAD}_`)) ?? []).toEqual([]);
  expect((await docker.listNetworks()).filter((n) => n.Name.startsWith(`${BAD}_`))).toEqual([]);
  const web = await containersOf(WEB);
  expect(web.map((c) => [c.name, c.state, c.labels["gitdock.commit"]])).toEqual([[`${WEB}-web-1`, "running", good]]);
}

beforeAll(async () => {
  const env = testEnv();
  await mkdir(SRV, { recursive: true });
  await mkdir(OUTSIDE, { recursive: true });
  await dockerCli(["run", "-d", "--name", VICTIM, env.images.sleeper]);
  await dockerCli(["network", "create", FOREIGN_NET]);
  await dockerCli(["volume", "create", FOREIGN_VOL]);
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  // The default policy, with two widenings an operator might make: env files under /etc/gitdock
  // and bind mounts under /tmp. Neither may reach the agent's own files.
  host = await createTestHost({
    prefix: P,
    repo: repo.url,
    path: "hosts/h1",
    config: "security:\n  policy:\n    env_file_roots: [/etc/gitdock]\n    bind_roots: [/srv, /tmp]\n",
  });
  await repo.write("hosts/h1/web/compose.yaml", `name: ${WEB}\nservices:\n  web:\n${webService(env.images["web-v1"])}\n`);
  good = await repo.commit("the last good commit");
  const r = await host.run("sync");
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await dockerCli(["rm", "-f", VICTIM]).catch(() => undefined);
  await dockerCli(["network", "rm", FOREIGN_NET]).catch(() => undefined);
  await dockerCli(["volume", "rm", "-f", FOREIGN_VOL]).catch(() => undefined);
  await rm(SRV, { recursive: true, force: true });
  await rm(OUTSIDE, { recursive: true, force: true });
});

const svc = (extra: string, image = "sleeper" as const) => `  app:\n${webService(images()[image], extra)}\n`;

const ATTACKS: { name: string; compose: () => string; reason: RegExp }[] = [
  {
    name: "a local volume of type proc (a writable host procfs)",
    compose: () => `volumes:\n  hostproc:\n    driver_opts:\n      type: proc\n      device: proc\nservices:\n${svc("    volumes: [hostproc:/hostproc]")}`,
    reason: /local volume type proc is not allowed/,
  },
  {
    name: "a local overlay volume whose lower layer is /etc",
    compose: () =>
      `volumes:\n  etc:\n    driver_opts:\n      type: overlay\n      device: overlay\n      o: lowerdir=/etc,upperdir=${SRV}/u,workdir=${SRV}/w\nservices:\n${svc("    volumes: [etc:/etc-copy]")}`,
    reason: /local volume type overlay is not allowed/,
  },
  {
    name: "a volume of another driver",
    compose: () =>
      `volumes:\n  remote:\n    driver: vieux/sshfs\n    driver_opts:\n      sshcmd: root@10.0.0.1:/\nservices:\n${svc("    volumes: [remote:/remote]")}`,
    reason: /volume driver \W{1,3}vieux\/sshfs\W{1,3} is not allowed/,
  },
  {
    name: "the network namespace of another container",
    compose: () => `services:\n${svc(`    network_mode: container:${VICTIM}`)}`,
    reason: /joins a container outside the stack/,
  },
  {
    name: "the PID namespace of another container",
    compose: () => `services:\n${svc(`    pid: container:${VICTIM}`)}`,
    reason: /pid: container:.* joins a container outside the stack/,
  },
  {
    name: "the IPC namespace of another container",
    compose: () => `services:\n${svc(`    ipc: container:${VICTIM}`)}`,
    reason: /ipc: container:.* joins a container outside the stack/,
  },
  { name: 'root spelled "+0"', compose: () => `services:\n${svc('    user: "+0"')}`, reason: /runs as root \(uid 0\)/ },
  { name: 'root spelled "-0:-0"', compose: () => `services:\n${svc('    user: "-0:-0"')}`, reason: /runs as root \(uid 0\)/ },
  { name: 'root as the default user (":1000")', compose: () => `services:\n${svc('    user: ":1000"')}`, reason: /runs as root \(uid 0\)/ },
  {
    name: "the Engine's host network, external by name",
    compose: () => `networks:\n  hostnet:\n    external: true\n    name: host\nservices:\n${svc("    networks: [hostnet]")}`,
    reason: /the Engine's \W{1,3}host\W{1,3} network is not allowed/,
  },
  {
    name: "an existing network gitdock does not own, by name",
    compose: () => `networks:\n  n:\n    name: ${FOREIGN_NET}\nservices:\n${svc("    networks: [n]")}`,
    reason: new RegExp(`network ${FOREIGN_NET} already exists and gitdock does not own it`),
  },
  {
    name: "an existing volume gitdock does not own, by name (another application's database)",
    compose: () => `volumes:\n  db:\n    name: ${FOREIGN_VOL}\nservices:\n${svc("    volumes: [db:/var/lib/db]")}`,
    reason: new RegExp(`volume ${FOREIGN_VOL} already exists and gitdock does not own it`),
  },
  {
    name: "the agent's own credentials as an env_file",
    compose: () => `services:\n${svc("    env_file: /etc/gitdock/gitdock.env")}`,
    reason: /env_file \/etc\/gitdock\/gitdock.env would hand the container the agent's own/,
  },
  {
    name: "the agent's state directory as a bind mount",
    compose: () => `services:\n${svc(`    volumes: ["${host.stateDir}:/state:ro"]`)}`,
    reason: /would expose the agent's own/,
  },
  {
    name: "a bind nested in another service's read-write bind",
    compose: () =>
      `services:\n${svc(`    volumes: ["${SRV}/y:/data"]`)}  reader:\n${webService(images().sleeper, `    volumes: ["${SRV}/y/root/etc:/hostetc:ro"]`)}\n`,
    reason: /is inside .*\/y, which container .* mounts read-write/,
  },
  {
    name: "a symlink already on the host below an allowed root",
    compose: () => `services:\n${svc(`    volumes: ["${SRV}/pre/root/etc:/hostetc:ro"]`)}`,
    reason: /pre\/root is a symbolic link/,
  },
  {
    name: "a missing bind source behind a symlink (gitdock must not mkdir through it)",
    compose: () => `services:\n${svc(`    volumes: ["${SRV}/lnk/newdir:/data"]`)}`,
    reason: /lnk is a symbolic link/,
  },
];

describe("a hostile commit under the default policy is refused, with nothing of it created", () => {
  beforeAll(async () => {
    await mkdir(path.join(SRV, "pre"), { recursive: true });
    await symlink("/", path.join(SRV, "pre", "root"));
    await symlink(OUTSIDE, path.join(SRV, "lnk"));
  });

  it.each(ATTACKS)("$name", async ({ name, compose, reason }) => {
    await pushBad(compose(), name);
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(reason);
    await expectUntouched();
  });

  it("did not create a directory through the planted symlink", async () => {
    await expect(lstat(path.join(OUTSIDE, "newdir"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("validate --policy in pull-request CI refuses the same requests without a host", async () => {
    await pushBad(`networks:\n  hostnet:\n    external: true\n    name: host\nservices:\n${svc('    user: "-0:-0"')}`, "ci check");
    const policy = path.join(`${host.stateDir}.config.yaml`);
    const r = await runGitdock(["validate", path.join(repo.workDir, "hosts/h1"), "--policy", policy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/h1\/bad\/compose.yaml:\d+:\d+: services.app.user: user "-0:-0" runs as root/);
  });
});

describe("a symlink planted by a container during the rollout", () => {
  it("refuses the bind right before its create and rolls the rollout back", async () => {
    await mkdir(path.join(SRV, "z", "data"), { recursive: true });
    // `first` passes its gate and then sits in a 6 s monitor window; `second` is created after it.
    const compose =
      `services:\n  first:\n${webService(images()["web-v1"], "", { monitor: "6s" })}\n` +
      `  second:\n${webService(images().sleeper, `    depends_on:\n      first:\n        condition: service_healthy\n    volumes: ["${SRV}/z/data:/data:ro"]`)}\n`;
    await pushBad(compose, "a release whose bind is swapped for a symlink mid-rollout");
    const sync = host.run("sync");
    await waitFor(async () => (await containersOf(BAD)).some((c) => c.name === `${BAD}-first-1` && c.state === "running"), {
      timeoutMs: 60_000,
      what: "first running",
    });
    // A container gitdock does not manage, with write access to the bind root, swaps the directory.
    await dockerCli(["run", "--rm", "--name", `${P}planter`, "-v", `${SRV}:/w`, images().sleeper, "sh", "-c", "rm -rf /w/z && ln -s /etc /w/z"]);
    const r = await sync;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/bind source refused: .*\/z is a symbolic link/);
    await expectUntouched();
  });
});
