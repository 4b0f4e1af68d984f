import type Docker from "dockerode";
import { mkdir } from "node:fs/promises";
import { engineError, engineStatus } from "../engine/docker-client.js";
import type { MountSpec } from "../model.js";
import type { ContainerConfig } from "./container-config.js";

/** Create a container, connect its other networks, start it. Returns its ID. */
export async function createAndStart(docker: Docker, config: ContainerConfig, mounts: MountSpec[]): Promise<string> {
  await createBindSources(mounts);
  let container: Docker.Container;
  try {
    container = await docker.createContainer(config.create);
  } catch (err) {
    throw engineError(err, `creating ${config.name}`);
  }
  try {
    for (const n of config.extraNetworks) {
      await docker.getNetwork(n.name).connect({
        Container: container.id,
        EndpointConfig: { Aliases: n.aliases, ...(n.ipv4Address ? { IPAMConfig: { IPv4Address: n.ipv4Address } } : {}) },
      });
    }
    await container.start();
  } catch (err) {
    throw engineError(err, `starting ${config.name}`);
  }
  return container.id;
}

/** Stop (with the container's own grace period) and remove. Volumes are never removed. Gone already is fine. */
export async function stopAndRemove(docker: Docker, id: string, graceSeconds: number | undefined): Promise<void> {
  const container = docker.getContainer(id);
  try {
    await container.stop(graceSeconds === undefined ? {} : { t: graceSeconds });
  } catch (err) {
    const status = engineStatus(err);
    if (status !== 304 && status !== 404) throw engineError(err, `stopping ${id.slice(0, 12)}`);
  }
  try {
    await container.remove({ force: true, v: false });
  } catch (err) {
    if (engineStatus(err) !== 404) throw engineError(err, `removing ${id.slice(0, 12)}`);
  }
}

/** Compose creates missing bind-mount sources (create_host_path); the Mounts API does not, so do it here. */
async function createBindSources(mounts: MountSpec[]): Promise<void> {
  for (const m of mounts) {
    if (m.type === "bind" && m.createHostPath) await mkdir(m.source, { recursive: true });
  }
}
