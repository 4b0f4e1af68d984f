/**
 * A service plan applied to a Swarm: the stack's overlay networks, its secrets and configs (new
 * content is a new object), then the services the commit changed, created or updated in
 * `depends_on` order, each level gated (swarm-gate.ts) before the next is sent. Nothing is removed
 * here: services the commit drops, and objects no service uses, go once the whole commit is good
 * (finishSwarmRollout). Returns the steps taken, so that a failed rollout can be undone
 * (undo-swarm.ts).
 */
import type Docker from "dockerode";
import { networkCreateBody } from "../apply/resource-config.js";
import { registryHost, type RegistryAuths } from "../apply/registry-auth.js";
import { LABEL } from "../labels.js";
import { EngineUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ServiceAction, ServicePlan } from "../plan/index.js";
import type { DesiredSwarm, SwarmServiceToSend } from "./desired-services.js";
import type { JsonObject } from "./service-spec.js";
import { ownerLabels } from "./stack-names.js";
import { waitForServices, type SwarmGateResult } from "./swarm-gate.js";
import { call, updateService } from "./update-service.js";
import type { SwarmObject } from "./swarm-objects.js";

export type SwarmStep = { kind: "created"; name: string } | { kind: "updated"; name: string; previous: JsonObject };

export interface SwarmApplyContext {
  docker: Docker;
  agentId: string;
  auths: RegistryAuths;
  log: Logger;
  signal?: AbortSignal | undefined;
}

/** `waitsForNodes`: the gate that failed timed out only for want of nodes that are not ready (swarm-gate.ts), no verdict on the commit. */
export type SwarmApplyResult = { ok: true; steps: SwarmStep[]; changed: number } | { ok: false; steps: SwarmStep[]; reason: string; waitsForNodes?: boolean };

export async function applySwarmPlan(plan: ServicePlan, desired: DesiredSwarm, ctx: SwarmApplyContext): Promise<SwarmApplyResult> {
  for (const { project, network } of plan.networksToCreate) {
    await call(`creating network ${network.name}`, () =>
      ctx.docker.createNetwork(overlayNetworkBody(project, network, ctx.agentId) as unknown as Docker.NetworkCreateOptions),
    );
  }
  const ids = await ensureObjects(ctx, desired.objects);
  const steps: SwarmStep[] = [];
  const changing = plan.actions.filter((a) => a.kind === "create" || a.kind === "update");
  const byName = new Map(desired.services.map((s) => [s.name, s]));
  for (const level of dependencyLevels(changing, byName)) {
    // Settled, not all: every step that was taken must be known to the undo, whichever failed.
    const sent = await Promise.allSettled(level.map(async (a) => steps.push(await send(ctx, a, withObjectIds(byName.get(a.name) as SwarmServiceToSend, ids)))));
    const refused = sent.find((r): r is PromiseRejectedResult => r.status === "rejected");
    // An Engine that went away is not the release's fault: the pass fails, and the next one goes on.
    if (refused?.reason instanceof EngineUnavailableError) throw refused.reason;
    if (refused) return { ok: false, steps, reason: `the Engine refused a service of the commit: ${(refused.reason as Error).message}` };
    for (const a of level)
      ctx.log.info({ stage: "apply", service: a.name, reasons: a.reasons }, `${a.kind === "create" ? "created" : "updated"} service ${a.name}`);
    const failed = await gateLevel(
      ctx,
      level.map((a) => byName.get(a.name) as SwarmServiceToSend),
    );
    if (failed) return { ok: false, steps, reason: `${failed.service}: ${failed.reason}`, ...(failed.waitsForNodes ? { waitsForNodes: true } : {}) };
  }
  return { ok: true, steps, changed: changing.length + plan.networksToCreate.length };
}

/**
 * The services of one level gated together; the first that fails stops the others' gates, so the
 * undo begins at once instead of after the healthy services' monitor windows. Returns that failure.
 */
async function gateLevel(ctx: SwarmApplyContext, services: readonly SwarmServiceToSend[]): Promise<Extract<SwarmGateResult, { ok: false }> | undefined> {
  const results = await waitForServices(ctx.docker, services, {
    signal: ctx.signal,
    stopAtFirstFailure: true,
    onResult: (g) => {
      if (g.ok) ctx.log.info({ stage: "health", service: g.service, durationMs: g.durationMs }, `${g.service}: healthy`);
    },
  });
  return results.find((g): g is Extract<SwarmGateResult, { ok: false }> => !g.ok);
}

/** `Driver: overlay` unless the manifest names another; `docker stack ls` finds it by the namespace label. */
export function overlayNetworkBody(project: string, network: Parameters<typeof networkCreateBody>[1], agentId: string): JsonObject {
  const body = networkCreateBody(project, network, agentId);
  return { ...body, Driver: network.driver ?? "overlay", Labels: { ...body.Labels, [LABEL.stackNamespace]: project } };
}

async function send(ctx: SwarmApplyContext, action: ServiceAction, service: SwarmServiceToSend): Promise<SwarmStep> {
  const image = String(((service.body["TaskTemplate"] as JsonObject)["ContainerSpec"] as JsonObject)["Image"]);
  const auth = ctx.auths.get(registryHost(image));
  if (action.kind === "create") {
    await call(`creating service ${service.name}`, () => ctx.docker.createService(auth ?? {}, service.body as unknown as Docker.CreateServiceOptions));
    return { kind: "created", name: service.name };
  }
  const previous = await updateService(ctx.docker, service.name, service.body, auth);
  return { kind: "updated", name: service.name, previous };
}

/** Each secret and config the services mount, created when no object of its name exists; returns every id by name. */
async function ensureObjects(ctx: SwarmApplyContext, objects: readonly SwarmObject[]): Promise<Map<string, string>> {
  const [secrets, configs] = await Promise.all([
    call("listing secrets", () => ctx.docker.listSecrets()),
    call("listing configs", () => ctx.docker.listConfigs()),
  ]);
  const ids = new Map<string, string>();
  for (const s of [...secrets, ...configs]) ids.set(`${s.Spec?.Name}`, s.ID);
  for (const o of objects) {
    if (ids.has(o.name)) continue;
    const body = { Name: o.name, Labels: { ...ownerLabels(o.project, ctx.agentId) }, Data: Buffer.from(await o.content()).toString("base64") };
    const made = (await call(`creating ${o.kind} ${o.name}`, () => (o.kind === "secret" ? ctx.docker.createSecret(body) : ctx.docker.createConfig(body)))) as {
      id?: string;
      ID?: string;
    };
    ids.set(o.name, made.id ?? made.ID ?? "");
  }
  return ids;
}

/** The body with the ids of its secrets and configs, which the Engine needs beside their names. */
function withObjectIds(service: SwarmServiceToSend, ids: ReadonlyMap<string, string>): SwarmServiceToSend {
  const template = service.body["TaskTemplate"] as JsonObject;
  const container = template["ContainerSpec"] as JsonObject;
  const secrets = ((container["Secrets"] ?? []) as JsonObject[]).map((s) => ({ ...s, SecretID: ids.get(String(s["SecretName"])) }));
  const configs = ((container["Configs"] ?? []) as JsonObject[]).map((c) => ({ ...c, ConfigID: ids.get(String(c["ConfigName"])) }));
  const withIds = { ...container, ...(secrets.length ? { Secrets: secrets } : {}), ...(configs.length ? { Configs: configs } : {}) };
  return { ...service, body: { ...service.body, TaskTemplate: { ...template, ContainerSpec: withIds } } };
}

/** The changed services in levels: a service comes after the changed services of its stack it depends on. */
export function dependencyLevels(actions: readonly ServiceAction[], byName: ReadonlyMap<string, SwarmServiceToSend>): ServiceAction[][] {
  const changing = new Map(actions.map((a) => [`${a.project}/${a.service}`, a]));
  const level = new Map<string, number>();
  const levelOf = (key: string, seen: Set<string>): number => {
    const known = level.get(key);
    if (known !== undefined) return known;
    const action = changing.get(key);
    const deps = action ? (byName.get(action.name)?.dependsOn ?? []) : [];
    // Cycles are refused by the manifest stage; `seen` only keeps a bad input from recursing forever.
    const below = deps.map((d) => `${action?.project}/${d}`).filter((d) => changing.has(d) && !seen.has(d));
    const n = below.length ? 1 + Math.max(...below.map((d) => levelOf(d, new Set([...seen, key])))) : 0;
    level.set(key, n);
    return n;
  };
  const levels: ServiceAction[][] = [];
  for (const [key, action] of changing) (levels[levelOf(key, new Set([key]))] ??= []).push(action);
  return levels.filter(Boolean);
}
