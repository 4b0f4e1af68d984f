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

/**
 * Move a failed container out of its name at once (kill, then rename to `<name>.gitdock-failed`),
 * so the kept one can be put back before the failed one is removed: removing is the slow part.
 */
export async function setAside(docker: Docker, id: string, name: string): Promise<void> {
  const aside = failedName(name);
  await removeIfPresent(docker, aside);
  const container = docker.getContainer(id);
  try {
    await container.kill();
  } catch (err) {
    // 409: not running; 304: already stopped.
    const status = engineStatus(err);
    if (status !== 409 && status !== 304) throw engineError(err, `stopping ${name}`);
  }
  try {
    await container.rename({ name: aside });
  } catch (err) {
    throw engineError(err, `renaming ${name} to ${aside}`);
  }
}

/**
 * Put a retained container back under its live name and start it; a job's or one-shot's run that
 * had completed (exited 0) is only put back: starting it would run it again.
 */
export async function restore(docker: Docker, retainedName: string, name: string): Promise<void> {
  try {
    // Resolve the ID first: a dockerode handle made from a name stops resolving once renamed.
    const { Id, Config, State } = await docker.getContainer(retainedName).inspect();
    const container = docker.getContainer(Id);
    await container.rename({ name });
    if (Config?.Labels?.[LABEL.oneShot] === "true" && State?.Status === "exited" && State.ExitCode === 0) return;
    await container.start().catch((err: unknown) => {
      if (engineStatus(err) !== 304) throw startFailedError(err, name); // 304: already running
    });
  } catch (err) {
    throw engineError(err, `restoring ${retainedName} as ${name}`);
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
