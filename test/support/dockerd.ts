/**
 * Restarting the Engine under a test, as a package upgrade does: SIGTERM to dockerd, wait for it to
 * exit, start it again with the same command line (read from /proc), wait until it answers. Every
 * container on the Engine stops: a test that does this runs in a file of its own.
 */
import { spawn } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { dockerCli, waitFor } from "./docker.js";

const PID_FILE = "/var/run/docker.pid";
const LOG = "/var/log/gitdock-test-dockerd.log";

export async function stopDockerd(): Promise<string[]> {
  const pid = Number((await readFile(PID_FILE, "utf8")).trim());
  const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
  process.kill(pid, "SIGTERM");
  await waitFor(() => !isAlive(pid), { timeoutMs: 60_000, what: `dockerd (pid ${pid}) to exit` });
  return argv;
}

export async function startDockerd(argv: string[]): Promise<void> {
  const log = await open(LOG, "a");
  const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ["ignore", log.fd, log.fd] });
  child.unref();
  await log.close();
  await waitFor(() => dockerCli(["info", "--format", "{{.ServerVersion}}"]).then(() => true), { timeoutMs: 60_000, what: "dockerd to answer again" });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
