import type Docker from "dockerode";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { failedName, LABEL, previousName } from "../labels.js";
import { startFailedError } from "./start-failed.js";

/**
 * Move a container out of the way without destroying it: optionally stop it, then rename it to
 * `<name>.gitdock-prev`. A stale retained container under that name (from an older rollout) goes
 * first. Returns the retained name.
 */
export async function retire(docker: Docker, id: string, name: string, opts: { stop: boolean; graceSeconds: number | undefined }): Promise<string> {
  const prev = previousName(name);
  await removeIfPresent(docker, prev);
  const container = docker.getContainer(id);
  if (opts.stop) await stopQuietly(container, opts.graceSeconds);
  try {
    await container.rename({ name: prev });
  } catch (err) {
    throw engineError(err, `renaming ${name} to ${prev}`);
  }
  return prev;
}

/** Resolves when the Engine reports the container dead; `cancel` drops the wait (health/container-wakeups.ts). */
export type WatchDeath = (id: string) => { died: Promise<void>; cancel(): void };

/**
 * Put the kept container back in place of a failed one as fast as stop-first allows. Both renames
 * come first (a running container can be renamed): the failed one to `<name>.gitdock-failed`, the
 * kept one to its live name. Then the failed one is killed, and the kept one starts as soon as the
 * failed one's processes are gone: at the Engine's `die` event when `watchDeath` is given, about
 * 50 ms before the kill call returns (meanwhile the Engine releases the dead container's network
 * and mounts). An early start that fails (a fixed address the dead container still holds: "Address
 * already in use") is tried again once the kill has returned. The failed container is removed later, by the
 * caller: removing is the slow part.
 */
export async function swapBack(docker: Docker, failedId: string, retainedName: string, name: string, watchDeath?: WatchDeath): Promise<void> {
  const aside = failedName(name);
  await removeIfPresent(docker, aside);
  const failed = docker.getContainer(failedId);
  try {
    await failed.rename({ name: aside });
  } catch (err) {
    throw engineError(err, `renaming ${name} to ${aside}`);
  }
  const kept = await putBack(docker, retainedName, name);
  const death = watchDeath?.(failedId);
  const killed = killQuietly(failed, name);
  killed.catch(() => undefined); // when the death event wins the race, a late kill error changes nothing
  try {
    await (death ? Promise.race([death.died, killed]) : killed);
  } finally {
    death?.cancel();
  }
  if (!kept.start) return;
  try {
    await startRetained(kept.container, name);
  } catch (err) {
    if (!death) throw err;
    await killed;
    await startRetained(kept.container, name);
  }
}

async function killQuietly(container: Docker.Container, name: string): Promise<void> {
  try {
    await container.kill();
  } catch (err) {
    // 409: not running; 304: already stopped.
    const status = engineStatus(err);
    if (status !== 409 && status !== 304) throw engineError(err, `stopping ${name}`);
  }
}

/**
 * Put a retained container back under its live name and start it; a job's or one-shot's run that
 * had completed (exited 0) is only put back: starting it would run it again.
 */
export async function restore(docker: Docker, retainedName: string, name: string): Promise<void> {
  const kept = await putBack(docker, retainedName, name);
  if (kept.start) await startRetained(kept.container, name);
}

/** Renames a retained container back to `name`; `start` is false for a completed one-shot's run. */
async function putBack(docker: Docker, retainedName: string, name: string): Promise<{ container: Docker.Container; start: boolean }> {
  try {
    // Resolve the ID first: a dockerode handle made from a name stops resolving once renamed.
    const { Id, Config, State } = await docker.getContainer(retainedName).inspect();
    const container = docker.getContainer(Id);
    await container.rename({ name });
    const completed = Config?.Labels?.[LABEL.oneShot] === "true" && State?.Status === "exited" && State.ExitCode === 0;
    return { container, start: !completed };
  } catch (err) {
    throw engineError(err, `restoring ${retainedName} as ${name}`);
  }
}

async function startRetained(container: Docker.Container, name: string): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    if (engineStatus(err) !== 304) throw startFailedError(err, name); // 304: already running
  }
}

export async function stopQuietly(container: Docker.Container, graceSeconds: number | undefined): Promise<void> {
  try {
    await container.stop(graceSeconds === undefined ? {} : { t: graceSeconds });
  } catch (err) {
    const status = engineStatus(err);
    if (status !== 304 && status !== 404) throw engineError(err, `stopping ${container.id}`);
  }
}

export async function removeIfPresent(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: false });
  } catch (err) {
    if (engineStatus(err) !== 404) throw engineError(err, `removing ${idOrName}`);
  }
}
