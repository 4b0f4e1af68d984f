/**
 * planServices / serviceDrift: desired Swarm services against what the Swarm holds. One action per
 * service with its reasons; a hand change of a field gitdock sent is drift, a default the Engine
 * fills in is not; networks gitdock cannot create or use block the plan.
 */
import { describe, expect, it } from "vitest";
import type { DesiredStack, NetworkSpec } from "../../src/model.js";
import { hasServiceChanges, planServices, serviceDrift } from "../../src/plan/plan-services.js";
import type { ObservedSwarmService, SwarmSnapshot } from "../../src/plan/service-plan-types.js";
import { desiredSwarm, type SwarmServiceToSend } from "../../src/swarm/desired-services.js";
import { IMAGE_V2, KEY, resolve, service, stack } from "./helpers/fake-state.js";
import { AGENT, onSwarm } from "./helpers/fake-swarm.js";

type Spec = Record<string, unknown>;

const shop = (webOpts: Parameters<typeof service>[1] = {}): DesiredStack =>
  stack("shop", [onSwarm(service("web", { replicas: 2, ...webOpts })), onSwarm(service("db"))]);

function desiredOf(st: DesiredStack, commit = "c1"): SwarmServiceToSend[] {
  return desiredSwarm(resolve(commit, [st]), AGENT, KEY).services;
}

/** What the Engine reports for a spec it was sent: the body, plus the defaults it fills in. */
function withEngineDefaults(body: Spec): Spec {
  const template = body["TaskTemplate"] as Spec;
  const container = template["ContainerSpec"] as Spec;
  return {
    ...body,
    TaskTemplate: {
      ...template,
      ContainerSpec: { ...container, StopGracePeriod: 10_000_000_000, Isolation: "default", DNSConfig: {}, Init: false },
      Resources: { Limits: {}, Reservations: {} },
      RestartPolicy: { ...(template["RestartPolicy"] as Spec), Delay: 5_000_000_000, MaxAttempts: 0 },
      Placement: { Platforms: [{ Architecture: "amd64", OS: "linux" }] },
      ForceUpdate: 0,
      Runtime: "container",
    },
    UpdateConfig: { ...(body["UpdateConfig"] as Spec), MaxFailureRatio: 0 },
    EndpointSpec: { Mode: "vip" },
  };
}

/** The service as a previous apply of `d` left it on the Swarm. */
function observed(d: SwarmServiceToSend, edit: (spec: Spec) => Spec = (s) => s): ObservedSwarmService {
  const spec = edit(withEngineDefaults(structuredClone(d.body)));
  const labels = spec["Labels"] as Record<string, string>;
  return {
    id: `${d.name}-id`,
    name: d.name,
    managed: true,
    project: d.project,
    service: d.service,
    commit: labels["gitdock.commit"],
    specHash: labels["gitdock.spec-hash"],
    spec,
  };
}

const networksOf = (st: DesiredStack) => st.networks.map((n) => ({ name: n.name, managed: true }));
function swarmMatching(st: DesiredStack, edit: (name: string, spec: Spec) => Spec = (_, s) => s): SwarmSnapshot {
  return { services: desiredOf(st).map((d) => observed(d, (s) => edit(d.name, s))), networks: networksOf(st) };
}
/** `kind name: reasons` per action. */
function summary(st: DesiredStack, host: SwarmSnapshot, commit = "c2"): string[] {
  return planServices(commit, [st], desiredOf(st, commit), host).actions.map(
    (a) => `${a.kind} ${a.name}${a.reasons.length ? `: ${a.reasons.join("; ")}` : ""}`,
  );
}
/** A copy of `spec` with the value at `path` set. */
function setAt(spec: Spec, path: string[], value: unknown): Spec {
  const copy = structuredClone(spec);
  let at: Spec = copy;
  for (const k of path.slice(0, -1)) at = (at[k] ??= {}) as Spec;
  at[path[path.length - 1]!] = value;
  return copy;
}

describe("planServices", () => {
  const base = shop();
  const cases: { name: string; desired?: DesiredStack; host: () => SwarmSnapshot; expected: string[] }[] = [
    {
      name: "an empty Swarm gets every service created",
      host: () => ({ services: [], networks: networksOf(base) }),
      expected: ["create shop_db: missing", "create shop_web: missing"],
    },
    {
      name: "a Swarm as gitdock left it needs nothing, though the Engine filled in its defaults",
      host: () => swarmMatching(base),
      expected: ["unchanged shop_db", "unchanged shop_web"],
    },
    {
      name: "a new commit that changes one service updates that one only",
      desired: shop({ spec: { image: IMAGE_V2 } }),
      host: () => swarmMatching(base),
      expected: ["unchanged shop_db", "update shop_web: spec changed"],
    },
    {
      name: "a replicas change is an update",
      desired: shop({ replicas: 5 }),
      host: () => swarmMatching(base),
      expected: ["unchanged shop_db", "update shop_web: spec changed"],
    },
    {
      name: "an image changed by hand (docker service update --image) is put back",
      host: () => swarmMatching(base, (name, s) => (name === "shop_web" ? setAt(s, ["TaskTemplate", "ContainerSpec", "Image"], "nginx:evil") : s)),
      expected: ["unchanged shop_db", "update shop_web: changed outside gitdock: TaskTemplate.ContainerSpec.Image"],
    },
    {
      name: "replicas changed by hand (docker service scale) are put back",
      host: () => swarmMatching(base, (name, s) => (name === "shop_web" ? setAt(s, ["Mode", "Replicated", "Replicas"], 7) : s)),
      expected: ["unchanged shop_db", "update shop_web: changed outside gitdock: Mode.Replicated.Replicas"],
    },
    {
      name: "an environment variable added by hand is found",
      host: () => swarmMatching(base, (name, s) => (name === "shop_db" ? setAt(s, ["TaskTemplate", "ContainerSpec", "Env"], ["DEBUG=1"]) : s)),
      expected: ["update shop_db: changed outside gitdock: TaskTemplate.ContainerSpec.Env", "unchanged shop_web"],
    },
    {
      name: "a service gitdock manages that the manifest dropped is removed",
      desired: stack("shop", [onSwarm(service("web", { replicas: 2 }))]),
      host: () => swarmMatching(base),
      expected: ["remove shop_db: not in the manifest", "unchanged shop_web"],
    },
    {
      name: "a service gitdock does not manage is left alone, and one holding a needed name is a conflict",
      host: () => {
        const host = swarmMatching(base);
        const foreign = (name: string): ObservedSwarmService => ({
          id: `${name}-foreign`,
          name,
          managed: false,
          project: undefined,
          service: undefined,
          commit: undefined,
          specHash: undefined,
          spec: { Name: name },
        });
        return { ...host, services: [...host.services.filter((s) => s.name !== "shop_db"), foreign("shop_db"), foreign("monitoring_agent")] };
      },
      expected: ["conflict shop_db: name held by a service gitdock does not manage", "unchanged shop_web"],
    },
  ];
  it.each(cases)("$name", ({ desired, host, expected }) => {
    expect(summary(desired ?? base, host())).toEqual(expected);
  });

  it("names the service ids it acts on, and none for a create", () => {
    const plan = planServices("c2", [base], desiredOf(shop({ spec: { image: IMAGE_V2 } })), {
      ...swarmMatching(base),
      services: swarmMatching(base).services.filter((s) => s.name === "shop_web"),
    });
    expect(plan.actions.map((a) => [a.name, a.kind, a.serviceId])).toEqual([
      ["shop_db", "create", undefined],
      ["shop_web", "update", "shop_web-id"],
    ]);
  });

  it("reports changes exactly when something is created, updated, removed or a network made", () => {
    const plan = (host: SwarmSnapshot, desired = base) => planServices("c2", [desired], desiredOf(desired), host);
    expect(hasServiceChanges(plan(swarmMatching(base)))).toBe(false);
    expect(hasServiceChanges(plan(swarmMatching(base), shop({ replicas: 3 })))).toBe(true);
    expect(hasServiceChanges(plan({ ...swarmMatching(base), networks: [] }))).toBe(true);
  });
});

describe("planServices: networks", () => {
  const net = (name: string, external = false): NetworkSpec => ({
    key: name,
    name,
    external,
    driver: undefined,
    driverOpts: {},
    internal: false,
    attachable: false,
    labels: {},
  });
  const withNets = (networks: NetworkSpec[]) => ({ ...shop(), networks });

  it("creates the stack's networks the Swarm lacks", () => {
    const st = withNets([net("shop_default"), net("shop_back")]);
    const plan = planServices("c1", [st], desiredOf(st), { services: [], networks: [{ name: "shop_default", managed: true }] });
    expect(plan.networksToCreate.map((n) => `${n.project} ${n.network.name}`)).toEqual(["shop shop_back"]);
    expect(plan.blockers).toEqual([]);
  });

  it("is blocked by a network with a stack network's name that gitdock does not own, and creates nothing over it", () => {
    const st = withNets([net("shop_default")]);
    const plan = planServices("c1", [st], desiredOf(st), { services: [], networks: [{ name: "shop_default", managed: false }] });
    expect(plan.blockers).toEqual(["network shop_default exists and gitdock does not own it"]);
    expect(plan.networksToCreate).toEqual([]);
  });

  it("is blocked by a missing external network, which it never creates", () => {
    const st = withNets([net("shop_default"), net("proxy", true)]);
    const plan = planServices("c1", [st], desiredOf(st), { services: [], networks: [{ name: "shop_default", managed: true }] });
    expect(plan.blockers).toEqual(["external network proxy does not exist on the Swarm"]);
    expect(plan.networksToCreate).toEqual([]);
  });

  it("uses an external network that exists, whoever owns it", () => {
    const st = withNets([net("shop_default"), net("proxy", true)]);
    const plan = planServices("c1", [st], desiredOf(st), {
      services: [],
      networks: [
        { name: "shop_default", managed: true },
        { name: "proxy", managed: false },
      ],
    });
    expect(plan.blockers).toEqual([]);
    expect(plan.networksToCreate).toEqual([]);
  });
});

describe("serviceDrift", () => {
  const [db] = desiredOf(shop());
  if (!db) throw new Error("no desired services");

  const cases: { name: string; edit: (s: Spec) => Spec; expected: string[] }[] = [
    { name: "nothing changed", edit: (s) => s, expected: [] },
    {
      name: "Engine defaults only (StopGracePeriod, Isolation, RestartPolicy.Delay, Placement.Platforms)",
      edit: (s) => setAt(setAt(s, ["TaskTemplate", "ContainerSpec", "Isolation"], "default"), ["TaskTemplate", "RestartPolicy", "Delay"], 5e9),
      expected: [],
    },
    {
      name: "a label gitdock did not send is not gitdock's business",
      edit: (s) => setAt(s, ["Labels", "owner"], "ops"),
      expected: [],
    },
    {
      name: "a hand-changed update order",
      edit: (s) => setAt(s, ["UpdateConfig", "Order"], "start-first"),
      expected: ["changed outside gitdock: UpdateConfig.Order"],
    },
    {
      name: "an environment variable added by hand where the manifest has none (Env was left out, not sent empty)",
      edit: (s) => setAt(s, ["TaskTemplate", "ContainerSpec", "Env"], ["DEBUG=1"]),
      expected: ["changed outside gitdock: TaskTemplate.ContainerSpec.Env"],
    },
    {
      name: "a bind mount added by hand where the manifest has none",
      edit: (s) => setAt(s, ["TaskTemplate", "ContainerSpec", "Mounts"], [{ Type: "bind", Source: "/", Target: "/host" }]),
      expected: ["changed outside gitdock: TaskTemplate.ContainerSpec.Mounts"],
    },
    {
      name: "a port published by hand where the manifest has none",
      edit: (s) => setAt(s, ["EndpointSpec", "Ports"], [{ Protocol: "tcp", TargetPort: 22, PublishedPort: 2222 }]),
      expected: ["changed outside gitdock: EndpointSpec.Ports"],
    },
    {
      name: "an empty list the Engine reports where the manifest has none is not drift",
      edit: (s) => setAt(setAt(s, ["TaskTemplate", "ContainerSpec", "Env"], []), ["TaskTemplate", "Placement", "Constraints"], []),
      expected: [],
    },
    {
      name: "a network alias removed by hand",
      edit: (s) => setAt(s, ["TaskTemplate", "Networks"], [{ Target: "shop_default", Aliases: [] }]),
      expected: ["changed outside gitdock: TaskTemplate.Networks[0].Aliases"],
    },
    {
      name: "another spec hash label is a spec change, before any field is compared",
      edit: (s) => setAt(setAt(s, ["Labels", "gitdock.spec-hash"], "0".repeat(64)), ["TaskTemplate", "ContainerSpec", "Image"], "x"),
      expected: ["spec changed"],
    },
  ];
  it.each(cases)("$name → $expected", ({ edit, expected }) => {
    const seen = observed(db, edit);
    expect(serviceDrift(db, seen)).toEqual(expected);
  });
});
