import type Docker from "dockerode";
import { engineError } from "../engine/docker-client.js";
import type { JsonObject } from "./service-spec.js";

const OUT_OF_SEQUENCE_TRIES = 5;

/**
 * POST /services/{id}/update with the version just read (in the query; the spec is the body:
 * docker-modem's _query and _body). Swarm moves the version itself while it updates (its update
 * status), so an "update out of sequence" is read again and retried. Returns the spec replaced.
 * `spec` may be made from the spec read (`restartUpdate`), so it is written at the version it was made from.
 */
export async function updateService(
  docker: Docker,
  name: string,
  spec: JsonObject | ((current: JsonObject) => JsonObject),
  auth?: object,
): Promise<JsonObject> {
  for (let attempt = 1; ; attempt++) {
    const current = (await call(`inspecting service ${name}`, () => docker.getService(name).inspect())) as Docker.Service;
    const previous = current.Spec as unknown as JsonObject;
    const body = typeof spec === "function" ? spec(previous) : spec;
    const opts = { _query: { version: current.Version?.Index ?? 0 }, _body: body, ...(auth ? { authconfig: auth } : {}) };
    try {
      await docker.getService(name).update(opts);
      return previous;
    } catch (err) {
      if (attempt >= OUT_OF_SEQUENCE_TRIES || !/out of sequence/.test(String((err as Error).message))) throw engineError(err, `updating service ${name}`);
    }
  }
}

/**
 * The service's update sent again as it is, with ForceUpdate one higher: Swarm starts the update
 * afresh, placing the tasks on the nodes that are ready now. Swarm's updater can wait for ever on a
 * task it gave a node that went down; a new update replaces that updater (swarm-gate.ts).
 */
export async function restartUpdate(docker: Docker, name: string): Promise<void> {
  await updateService(docker, name, (spec) => {
    const template = (spec["TaskTemplate"] ?? {}) as JsonObject;
    return { ...spec, TaskTemplate: { ...template, ForceUpdate: Number(template["ForceUpdate"] ?? 0) + 1 } };
  });
}

/** An Engine call whose failure is classified as the Engine's (engine/docker-client.ts engineError). */
export async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw engineError(err, what);
  }
}
