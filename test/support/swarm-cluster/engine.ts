/**
 * One node's Docker Engine: dockerd in the node's network namespace (`nsenter --net`, not
 * `ip netns exec`, which remounts /sys and makes dockerd fail with "Devices cgroup isn't mounted"),
 * with its own data root, exec root, pid file, socket, docker0 subnet, address pool, config file
 * and containerd namespace, started detached with its log in the node's directory.
 */
import { spawn } from "node:child_process";
import { mkdir, open, writeFile } from "node:fs/promises";
import type { NodeLayout } from "./layout.js";
import { killProcessesIn, sandboxNetnsFiles } from "./sweep.js";
import { cmdlineOf, isAlive, logTail, readPidFile, run, signal, sleep, terminate, waitExit } from "./run.js";

const ANSWER_TIMEOUT_MS = 60_000;

/** Runs the docker CLI against the Engine on `socket`; returns stdout, throws with stderr. */
export async function dockerAt(socket: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return run("docker", ["-H", `unix://${socket}`, ...args], { timeoutMs: opts.timeoutMs ?? 120_000 });
}

export function engineArgv(n: NodeLayout, insecureRegistry: string): string[] {
  return [
    "nsenter",
    `--net=/run/netns/${n.netns}`,
    "--",
    "dockerd",
    `--config-file=${n.configFile}`,
    `--data-root=${n.dataRoot}`,
    `--exec-root=${n.execRoot}`,
    `--pidfile=${n.pidFile}`,
    `--host=unix://${n.socket}`,
    `--bip=${n.bip}`,
    `--default-address-pool=${n.addressPool}`,
    `--insecure-registry=${insecureRegistry}`,
    // its own containerd namespaces, in case the machine runs a system containerd all nodes would share
    `--containerd-namespace=${n.netns}`,
    `--containerd-plugins-namespace=${n.netns}-plugins`,
  ];
}

export async function prepareNodeDirs(n: NodeLayout): Promise<void> {
  await mkdir(n.dataRoot, { recursive: true });
  await mkdir(n.execRoot, { recursive: true });
  await writeFile(n.configFile, "{}\n");
}

/** Starts dockerd detached (it outlives nothing: stop() and the stale cleanup end it by its pid file). */
export async function spawnEngine(n: NodeLayout, argv: string[]): Promise<void> {
  const log = await open(n.log, "a");
  try {
    const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ["ignore", log.fd, log.fd] });
    child.on("error", () => undefined); // a missing nsenter shows up as "does not answer" with the log
    child.unref();
  } finally {
    await log.close();
  }
}

/** Waits until the node's Engine answers `docker info`; on timeout throws with its log tail. */
export async function waitEngineAnswers(n: NodeLayout): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  let last: string;
  for (;;) {
    try {
      await dockerAt(n.socket, ["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 10_000 });
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `node ${n.name}'s dockerd (socket ${n.socket}) did not answer within ${ANSWER_TIMEOUT_MS} ms (last: ${last}); its log ${n.log} ends:\n${await logTail(n.log)}`,
      );
    }
    await sleep(500);
  }
}

/**
 * SIGKILLs the node's dockerd. Alone, its containerd and containers keep running, as after a crash
 * of dockerd; with `containers`, every process of the node goes too (containerd, shims, the
 * containers: whatever runs in its namespaces or from its directory), as when the machine dies.
 */
export async function killEngine(n: NodeLayout, opts: { containers?: boolean } = {}): Promise<void> {
  const pid = await readPidFile(n.pidFile);
  if (pid === null || !isAlive(pid)) throw new Error(`node ${n.name}'s dockerd is not running (pid file ${n.pidFile})`);
  signal(pid, "SIGKILL");
  if (!(await waitExit(pid, 10_000))) throw new Error(`node ${n.name}'s dockerd (pid ${pid}) did not exit after SIGKILL`);
  if (opts.containers) await killProcessesIn([`/run/netns/${n.netns}`, ...(await sandboxNetnsFiles([n.execRoot]))], `${n.dir}/`);
}

/** Stops the node's dockerd by its pid file (SIGTERM, then SIGKILL after `graceMs`); a dead or missing one is fine. */
export async function stopEngine(n: Pick<NodeLayout, "name" | "pidFile">, graceMs = 20_000): Promise<void> {
  const pid = await readPidFile(n.pidFile);
  // after a crash the pid may belong to another process by now: only a dockerd started with this pid file is ours
  if (pid !== null && isAlive(pid) && (await cmdlineOf(pid)).includes(`--pidfile=${n.pidFile}`)) await terminate(pid, `node ${n.name}'s dockerd`, graceMs);
}
