/**
 * What pid files do not name. Processes (a SIGKILLed dockerd's containerd, shims, containers) are
 * found by the network namespace they run in (a node's, or a container's under a node's exec root)
 * or by the cluster's (or node's) directory in their command line; mounts (overlay layers, network
 * namespaces) by their mount point. The last resort of a teardown, and how a whole node "dies".
 */
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { cmdlineOf, run, signal, waitExit } from "./run.js";

/** Inode numbers of the network namespaces in `files` (each a bind mount of a namespace; anything else is skipped). */
async function netnsInodes(files: string[]): Promise<Set<number>> {
  const nsDev = (await stat("/proc/self/ns/net")).dev;
  const inodes = new Set<number>();
  for (const f of files) {
    try {
      const st = await stat(f);
      if (st.dev === nsDev) inodes.add(st.ino);
    } catch {
      /* gone already */
    }
  }
  return inodes;
}

/** The namespace files dockerd keeps under each exec root (`<exec>/netns/*`: containers' sandboxes, overlay networks). */
export async function sandboxNetnsFiles(execRoots: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const root of execRoots) {
    const dir = path.join(root, "netns");
    try {
      for (const f of await readdir(dir)) files.push(path.join(dir, f));
    } catch {
      /* no such exec root, or no namespace in it */
    }
  }
  return files;
}

async function netInode(pid: number): Promise<number | null> {
  try {
    const m = /^net:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Pids (not this process) in one of the namespaces `netnsFiles`, or with `pathMark` in their command line. */
export async function processesIn(netnsFiles: string[], pathMark: string): Promise<number[]> {
  const inodes = await netnsInodes(netnsFiles);
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const ino = await netInode(pid);
    if ((ino !== null && inodes.has(ino)) || (await cmdlineOf(pid)).includes(pathMark)) pids.push(pid);
  }
  return pids;
}

/** SIGKILLs those processes and waits for them; throws naming any that survive. */
export async function killProcessesIn(netnsFiles: string[], pathMark: string): Promise<void> {
  const pids = await processesIn(netnsFiles, pathMark);
  for (const pid of pids) signal(pid, "SIGKILL");
  const survivors: number[] = [];
  for (const pid of pids) if (!(await waitExit(pid, 10_000))) survivors.push(pid);
  if (survivors.length > 0) throw new Error(`processes survived SIGKILL: ${survivors.join(", ")}`);
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = info
    .split("\n")
    .map((line) => (line.split(" ")[4] ?? "").replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under `dir` (stacked mounts too); throws naming what stays mounted. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) await run("umount", ["-l", p]).catch(() => undefined);
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(", ")}`);
}
