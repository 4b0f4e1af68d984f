/**
 * Test-side Docker helpers (dockerode on the local socket, plus the CLI where it is simpler),
 * HTTP probing, and a bounded condition poller. Test containers, projects and networks always
 * have names starting with `gdt-`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";

const execFileP = promisify(execFile);

export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
export const TEST_PREFIX = "gdt-";

let client: Docker | null = null;
/** A shared dockerode client on /var/run/docker.sock (or DOCKER_HOST). */
export function dockerClient(): Docker {
  client ??= new Docker();
  return client;
}

/** Runs the docker CLI with an argument array; returns stdout, throws with stderr on failure. */
export async function dockerCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP("docker", args, {
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface ContainerInfo {
  /** Name without the leading slash. */
  name: string;
  id: string;
  /** Docker's state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  /** The image reference the container was created from, as Docker reports it. */
  image: string;
  labels: Record<string, string>;
}

function toInfo(c: Docker.ContainerInfo): ContainerInfo {
  return {
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    id: c.Id,
    state: c.State,
    image: c.Image,
    labels: c.Labels ?? {},
  };
}

/** Every container (running or stopped) whose compose project label is exactly `project`, sorted by name. */
export async function containersOf(project: string): Promise<ContainerInfo[]> {
  const list = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] },
  });
  return list.map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
}

function isNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number };
  return e?.statusCode === 404;
}

/**
 * Force-removes every container whose compose project label starts with `prefix` (and every
 * container whose name starts with it), then every network and volume whose name starts with it.
 */
export async function removeProjects(prefix: string): Promise<void> {
  if (!prefix.startsWith(TEST_PREFIX)) throw new Error(`refusing to remove non-test prefix ${JSON.stringify(prefix)}`);
  const d = dockerClient();
  const all = await d.listContainers({ all: true });
  const doomed = all.filter(
    (c) => (c.Labels?.[COMPOSE_PROJECT_LABEL] ?? "").startsWith(prefix) || c.Names.some((n) => n.replace(/^\//, "").startsWith(prefix)),
  );
  await Promise.all(
    doomed.map(async (c) => {
      try {
        await d.getContainer(c.Id).remove({ force: true, v: true });
      } catch (err) {
        if (!isNotFound(err) && !/already in progress/.test(String(err))) throw err;
      }
    }),
  );
  const networks = await d.listNetworks();
  for (const n of networks) {
    if (!n.Name.startsWith(prefix) && !(n.Labels?.[COMPOSE_PROJECT_LABEL] ?? "").startsWith(prefix)) continue;
    try {
      await d.getNetwork(n.Id).remove();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const { Volumes } = await d.listVolumes();
  for (const v of Volumes ?? []) {
    if (!v.Name.startsWith(prefix) && !(v.Labels?.[COMPOSE_PROJECT_LABEL] ?? "").startsWith(prefix)) continue;
    try {
      await d.getVolume(v.Name).remove({ force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The IPv4 address of a container on its first network (default bridge: 172.17.x.x, reachable from the host). */
export async function containerIp(idOrName: string): Promise<string> {
  const info = await dockerClient().getContainer(idOrName).inspect();
  const nets = Object.values(info.NetworkSettings.Networks ?? {});
  const ip = nets.map((n) => n.IPAddress).find((a) => a);
  if (!ip) throw new Error(`container ${idOrName} has no IP address`);
  return ip;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** GET with a bounded timeout (default 5 s). Rejects on connection errors and timeouts. */
export async function httpGet(url: string, opts: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000), headers: opts.headers });
  return { status: res.status, body: await res.text() };
}

export interface WaitOptions {
  /** Upper bound; default 30 s. */
  timeoutMs?: number;
  /** Pause between polls; default 250 ms. */
  intervalMs?: number;
  /** What is awaited, for the error message ("web-v2 serving on :8080"). */
  what: string;
}

/**
 * Polls `cond` until it returns a truthy value, which is returned. A throw counts as "not yet";
 * on timeout it throws an error naming `what`, with the last value or error seen.
 */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | "">;

export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitOptions): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  // Set by every evaluation before the deadline can pass.
  let last: string;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as Truthy<T>;
      last = `last value: ${JSON.stringify(v)}`;
    } catch (err) {
      last = `last error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what} (${last})`);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

export interface ContainerEvent {
  action: string;
  id: string;
  /** Compose's `<service>/<container-number>` of the container. */
  replica: string;
  timeNano: number;
}

/**
 * The Engine's container events for one Compose project from `sinceMs` (epoch ms) until now, in
 * order. The Engine ends the stream at `until` (the next whole second), so this returns within one.
 */
export async function containerEventsSince(project: string, sinceMs: number): Promise<ContainerEvent[]> {
  const stream = await dockerClient().getEvents({
    since: Math.floor(sinceMs / 1000),
    until: Math.ceil(Date.now() / 1000),
    filters: { type: ["container"], label: [`com.docker.compose.project=${project}`] },
  });
  let text = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString("utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; id: string; timeNano: number; Actor: { Attributes: Record<string, string> } })
    .filter((e) => e.timeNano >= sinceMs * 1e6)
    .map((e) => ({
      action: e.Action,
      id: e.id,
      replica: `${e.Actor.Attributes["com.docker.compose.service"]}/${e.Actor.Attributes["com.docker.compose.container-number"]}`,
      timeNano: e.timeNano,
    }));
}
