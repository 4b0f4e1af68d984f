import type Docker from "dockerode";
import { engineError } from "../engine/docker-client.js";
import type { MountSpec } from "../model.js";
import { parseBindEntry } from "../policy/requests/bind-entries.js";
import type { ContainerConfig } from "./container-config.js";
import { connectBody } from "./engine-requests.js";
import { guardBindSources, type BindRoots, type HostBind } from "./host-bind-sources.js";
import { inPhase } from "./rollout-phase.js";
import { startFailedError } from "./start-failed.js";

/**
 * Create a container, connect its other networks, start it. Returns its ID. Right before the
 * create, every bind source is checked on the host (host-bind-sources.ts), and missing ones that
 * Compose would create are made there, never through a symlink.
 */
export async function createAndStart(docker: Docker, config: ContainerConfig, mounts: MountSpec[], roots: BindRoots): Promise<string> {
  await guardBindSources(hostBinds(config, mounts), roots, `creating ${config.name}`);
  const container = await inPhase("create", () =>
    docker.createContainer(config.create).catch((err: unknown) => {
      throw engineError(err, `creating ${config.name}`);
    }),
  );
  await inPhase("connect", async () => {
    try {
      for (const n of config.extraNetworks) await docker.getNetwork(n.name).connect(connectBody(container.id, n));
    } catch (err) {
      throw engineError(err, `connecting ${config.name} to its networks`);
    }
  });
  await inPhase("start", () =>
    container.start().catch((err: unknown) => {
      throw startFailedError(err, config.name);
    }),
  );
  return container.id;
}

/**
 * The bind mounts of the create request itself (secrets included, and the legacy `Binds` entries
 * gitdock sends for SELinux relabeling), with Compose's create_host_path from the spec.
 */
function hostBinds(config: ContainerConfig, mounts: MountSpec[]): HostBind[] {
  const creatable = new Set(mounts.flatMap((m) => (m.type === "bind" && m.createHostPath ? [m.source] : [])));
  const host = config.create.HostConfig;
  const fromMounts = (host?.Mounts ?? []).filter((m) => m.Type === "bind").map((m) => ({ source: m.Source, readOnly: m.ReadOnly === true }));
  const fromBinds = (host?.Binds ?? []).flatMap((entry) => {
    const bind = parseBindEntry(entry);
    return bind ? [{ source: bind.source, readOnly: bind.readOnly }] : [];
  });
  return [...fromMounts, ...fromBinds].map((b) => ({ ...b, create: creatable.has(b.source) }));
}
