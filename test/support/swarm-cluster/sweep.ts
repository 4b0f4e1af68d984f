/**
 * The last resort of a teardown: whatever a cluster left that its pid files do not name. Processes
 * (a SIGKILLed dockerd's containerd, shims, containers) are found by the network namespace they
 * run in (a node's, or a container's under a node's exec root) or by the cluster directory in
 * their command line; mounts (overlay layers, network namespaces) by their mount point.
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

async function containerNetnsFiles(clusterDir: string): Promise<string[]> {
  const files: string[] = [];
  let nodes: string[];
  try {
    nodes = await readdir(clusterDir);
  } catch {
    return files;
  }
  for (const node of nodes) {
    const dir = path.join(clusterDir, node, "exec", "netns");
    try {
      for (const f of await readdir(dir)) files.push(path.join(dir, f));
    } catch {
      /* no such node directory or no netns */
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

/** Pids (not this process) in one of the namespaces or with `clusterDir/` in their command line. */
export async function clusterProcesses(clusterDir: string, netnsFiles: string[]): Promise<number[]> {
  const inodes = await netnsInodes([...netnsFiles, ...(await containerNetnsFiles(clusterDir))]);
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const ino = await netInode(pid);
    if ((ino !== null && inodes.has(ino)) || (await cmdlineOf(pid)).includes(`${clusterDir}/`)) pids.push(pid);
  }
  return pids;
}

/** SIGKILLs the cluster's remaining processes and waits for them; throws naming any that survive. */
export async function killClusterProcesses(clusterDir: string, netnsFiles: string[]): Promise<void> {
  const pids = await clusterProcesses(clusterDir, netnsFiles);
  for (const pid of pids) signal(pid, "SIGKILL");
  const survivors: number[] = [];
  for (const pid of pids) if (!(await waitExit(pid, 10_000))) survivors.push(pid);
  if (survivors.length > 0) throw new Error(`processes of the cluster survived SIGKILL: ${survivors.join(", ")}`);
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
