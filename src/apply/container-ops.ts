import type Docker from "dockerode";
import { mkdir } from "node:fs/promises";
import { engineError } from "../engine/docker-client.js";
import type { MountSpec } from "../model.js";
import type { ContainerConfig } from "./container-config.js";
import { startFailedError } from "./start-failed.js";

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
  } catch (err) {
    throw engineError(err, `connecting ${config.name} to its networks`);
  }
  try {
    await container.start();
  } catch (err) {
    throw startFailedError(err, config.name);
  }
  return container.id;
}

/** Compose creates missing bind-mount sources (create_host_path); the Mounts API does not, so do it here. */
async function createBindSources(mounts: MountSpec[]): Promise<void> {
  for (const m of mounts) {
    if (m.type === "bind" && m.createHostPath) await mkdir(m.source, { recursive: true });
  }
}
