import { readFileSync } from "node:fs";

/**
 * Whether a process is alive, for judging lock files and temp files left by a killed gitdock.
 *
 * `kill(pid, 0)` alone is not enough: it succeeds for a zombie, and a PID is reused after a
 * while. On Linux, `/proc/<pid>/stat` gives the process state and its start time (clock ticks
 * since boot), so a lock written by an exited process whose PID now belongs to another one is
 * recognized as stale. Elsewhere only `kill(pid, 0)` is used.
 */

interface ProcStat {
  state: string;
  startTime: string;
}

function readProcStat(pid: number): ProcStat | undefined | "no-proc" {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      return hasProcFs() ? undefined : "no-proc";
    }
    return "no-proc";
  }
  // `pid (comm) state ...`; comm may hold spaces and parentheses, so split after the last `)`.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19]; // field 22 of stat(5); fields[0] is field 3
  if (state === undefined || startTime === undefined) return "no-proc";
  return { state, startTime };
}

let procFs: boolean | undefined;
function hasProcFs(): boolean {
  if (procFs === undefined) {
    try {
      readFileSync("/proc/self/stat");
      procFs = true;
    } catch {
      procFs = false;
    }
  }
  return procFs;
}

/** The start time of a process as the kernel reports it, or undefined where there is no /proc. */
export function processStartTime(pid: number = process.pid): string | undefined {
  const stat = readProcStat(pid);
  return typeof stat === "object" ? stat.startTime : undefined;
}

/**
 * True when `pid` names a running process. When `startTime` (from processStartTime) is given and
 * the process now running under that PID started at another time, the PID was reused: false.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = readProcStat(pid);
  if (stat === "no-proc") return true;
  if (stat === undefined) return false;
  if (stat.state === "Z" || stat.state === "X") return false;
  return startTime === undefined || stat.startTime === startTime;
}
