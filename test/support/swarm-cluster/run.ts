/** Running the host's tools (ip, iptables, docker, umount) for the Swarm harness, and pids. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/** Runs `cmd args`; returns stdout, throws with the command line and its stderr on failure. */
export async function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but is not ours to signal (it still counts as alive)
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The pid in a pid file, or null when the file is missing or holds no number. */
export async function readPidFile(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): a pid plus this names one process. */
export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits until `pid` is gone, at most `timeoutMs`; returns whether it is. */
export async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** SIGTERM, then SIGKILL when it has not exited within `graceMs`; returns once it is gone (or throws). */
export async function terminate(pid: number, what: string, graceMs: number): Promise<void> {
  signal(pid, "SIGTERM");
  if (await waitExit(pid, graceMs)) return;
  signal(pid, "SIGKILL");
  if (!(await waitExit(pid, 10_000))) throw new Error(`${what} (pid ${pid}) did not exit after SIGKILL`);
}

/** The last `lines` lines of a log file, for an error message. */
export async function logTail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(no log at ${file}: ${(err as Error).message})`;
  }
}

/** A process's command line as one string (arguments joined by spaces); empty when it is gone. */
export async function cmdlineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ").trim();
  } catch {
    return "";
  }
}
