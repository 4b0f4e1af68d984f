/** A small builder of desired states and host snapshots for planner tests: no Docker anywhere. */
import type { ContainerSpec, DesiredService, DesiredStack } from "../../../src/model.js";
import { encodeFieldHashes, HASH_SCHEME, hostKeyId, legacySpecHashes, specHashes } from "../../../src/plan/spec-hash.js";
import type { HostSnapshot, ObservedContainer, ResolvedService, ResolvedState } from "../../../src/plan/types.js";
import { replicaName } from "../../../src/labels.js";

export const KEY = Buffer.alloc(32, 7);
export const IMAGE_V1 = `127.0.0.1:5000/web@sha256:${"1".repeat(64)}`;
export const IMAGE_V2 = `127.0.0.1:5000/web@sha256:${"2".repeat(64)}`;

export function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    image: IMAGE_V1,
    command: undefined,
    entrypoint: undefined,
    environment: {},
    ports: [],
    mounts: [],
    networks: [{ key: "default", aliases: [], ipv4Address: undefined }],
    networkMode: undefined,
    labels: {},
    restart: undefined,
    healthcheck: undefined,
    user: undefined,
    workingDir: undefined,
    readOnly: false,
    capAdd: [],
    capDrop: [],
    privileged: false,
    stopGracePeriodMs: undefined,
    stopSignal: undefined,
    hostname: undefined,
    extraHosts: [],
    logging: undefined,
    init: undefined,
    tmpfs: [],
    ulimits: {},
    memoryBytes: undefined,
    nanoCpus: undefined,
    ...overrides,
  };
}

export function service(name: string, opts: { replicas?: number; dependsOn?: string[]; spec?: Partial<ContainerSpec> } = {}): DesiredService {
  const update = { parallelism: 1, delayMs: 0, order: "stop-first" as const, failureAction: "rollback" as const, monitorMs: 10_000 };
  return {
    name,
    replicas: opts.replicas ?? 1,
    dependsOn: (opts.dependsOn ?? []).map((s) => ({ service: s, condition: "service_started" as const, required: true })),
    envFiles: [],
    updateConfig: update,
    rollbackConfig: update,
    gitdock: { probe: undefined, healthTimeoutMs: 120_000 },
    container: spec(opts.spec),
  };
}

export function stack(project: string, services: DesiredService[], extra: Partial<DesiredStack> = {}): DesiredStack {
  return {
    project,
    file: `${project}/compose.yaml`,
    services,
    networks: [
      { key: "default", name: `${project}_default`, external: false, driver: undefined, driverOpts: {}, internal: false, attachable: false, labels: {} },
    ],
    volumes: [],
    ...extra,
  };
}

export function resolve(commit: string, stacks: DesiredStack[]): ResolvedState {
  return {
    commit,
    stacks: stacks.map((s) => ({
      stack: s,
      services: s.services.map((svc): ResolvedService => ({
        project: s.project,
        service: svc,
        spec: svc.container,
        ...specHashes(svc.container, KEY, new Set()),
        keyId: hostKeyId(KEY),
        legacy: legacySpecHashes(svc.container, KEY),
      })),
    })),
  };
}

/** The observed container gitdock would have created for replica `n` of a resolved service. */
export function runningAs(svc: ResolvedService, n = 1, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${svc.project}-${svc.service.name}-${n}-id`,
    name: replicaName(svc.project, svc.service, n),
    managed: true,
    project: svc.project,
    service: svc.service.name,
    number: n,
    commit: "c0",
    specHash: svc.specHash,
    fieldHashesLabel: encodeFieldHashes(svc.fieldHashes),
    hashScheme: HASH_SCHEME,
    ...(svc.keyId ? { keyId: svc.keyId } : {}),
    image: svc.spec.image,
    state: "running",
    running: true,
    health: "none",
    previousOf: undefined,
    ...overrides,
  };
}

/** The host exactly as a previous apply of `state` left it. */
export function hostMatching(state: ResolvedState): HostSnapshot {
  const containers: ObservedContainer[] = [];
  for (const s of state.stacks) for (const svc of s.services) for (let n = 1; n <= svc.service.replicas; n++) containers.push(runningAs(svc, n));
  return {
    containers,
    networks: state.stacks.flatMap((s) => s.stack.networks.map((n) => ({ name: n.name, project: s.stack.project, managed: true }))),
    volumes: state.stacks.flatMap((s) => s.stack.volumes.map((v) => ({ name: v.name, project: s.stack.project, managed: true }))),
  };
}

export function svcOf(state: ResolvedState, project: string, name: string): ResolvedService {
  const found = state.stacks.find((s) => s.stack.project === project)?.services.find((s) => s.service.name === name);
  if (!found) throw new Error(`no ${project}/${name}`);
  return found;
}
