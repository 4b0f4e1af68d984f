/**
 * The registry every node pulls from: a second `docker-registry serve` on the bridge address, over
 * the same storage directory as the registry scripts/test-env.sh runs on 127.0.0.1:5000, so an
 * image pushed there (test/support/images.ts) pulls on every node by the same digest. The nodes
 * cannot reach 127.0.0.1:5000: loopback is per network namespace.
 */
import { spawn } from "node:child_process";
import { open, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { parse } from "yaml";
import { cmdlineOf, isAlive, logTail, readPidFile, sleep, terminate } from "./run.js";

/** Written by scripts/test-env.sh; its storage directory is what the bridge registry serves. */
export const TEST_REGISTRY_CONFIG = "/etc/gitdock-test-registry.yml";
const ANSWER_TIMEOUT_MS = 30_000;

export interface RegistryFiles {
  config: string;
  pidFile: string;
  log: string;
}

export function registryFiles(clusterDir: string): RegistryFiles {
  return { config: path.join(clusterDir, "registry.yml"), pidFile: path.join(clusterDir, "registry.pid"), log: path.join(clusterDir, "registry.log") };
}

async function testRegistryStorage(): Promise<string> {
  let doc: { storage?: { filesystem?: { rootdirectory?: unknown } } };
  try {
    doc = parse(await readFile(TEST_REGISTRY_CONFIG, "utf8")) as typeof doc;
  } catch (err) {
    throw new Error(`cannot read the test registry's config ${TEST_REGISTRY_CONFIG} (${(err as Error).message}): run bash scripts/test-env.sh`, { cause: err });
  }
  const dir = doc?.storage?.filesystem?.rootdirectory;
  if (typeof dir !== "string" || dir === "") throw new Error(`${TEST_REGISTRY_CONFIG} has no storage.filesystem.rootdirectory`);
  return dir;
}

/** A TCP port nothing listens on right now at `host`. */
async function freePortOn(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(3_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Starts the bridge registry on `host` (a free port); returns its `host:port` once it answers. */
export async function startBridgeRegistry(clusterDir: string, host: string): Promise<string> {
  const files = registryFiles(clusterDir);
  const storage = await testRegistryStorage();
  const address = `${host}:${await freePortOn(host)}`;
  const config = `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: ${address}\n`;
  await writeFile(files.config, config);
  const log = await open(files.log, "a");
  try {
    const child = spawn("docker-registry", ["serve", files.config], { detached: true, stdio: ["ignore", log.fd, log.fd] });
    child.on("error", () => undefined); // reported below as "does not answer", with the log
    child.unref();
    if (child.pid !== undefined) await writeFile(files.pidFile, `${child.pid}\n`);
  } finally {
    await log.close();
  }
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (!(await answers(address))) {
    if (Date.now() >= deadline) {
      throw new Error(
        `the bridge registry at http://${address}/v2/ did not answer within ${ANSWER_TIMEOUT_MS} ms; its log ${files.log} ends:\n${await logTail(files.log)}`,
      );
    }
    await sleep(200);
  }
  return address;
}

/** Stops the bridge registry by its pid file; none running is fine. */
export async function stopBridgeRegistry(clusterDir: string): Promise<void> {
  const files = registryFiles(clusterDir);
  const pid = await readPidFile(files.pidFile);
  // after a crash the pid may belong to another process by now: only a registry serving this config is ours
  if (pid !== null && isAlive(pid) && (await cmdlineOf(pid)).includes(files.config)) await terminate(pid, "the bridge registry", 5_000);
}
