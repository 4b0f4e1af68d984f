import { describe, expect, it } from "vitest";
import { hasChanges, makePlan } from "../../src/plan/plan.js";
import { formatPlanText, planToJson } from "../../src/plan/format-plan.js";
import type { HostSnapshot, ObservedContainer } from "../../src/plan/types.js";
import { loadStacks } from "../../src/manifest/index.js";
import { IMAGE_V1, IMAGE_V2, hostMatching, resolve, runningAs, service, spec, stack, svcOf } from "./helpers/fake-state.js";

const base = resolve("c1", [stack("shop", [service("web", { dependsOn: ["api"] }), service("api", { replicas: 2 })])]);
/** The host with one container's observed fields changed. */
const patch = (host: HostSnapshot, name: string, fields: Partial<ObservedContainer>): HostSnapshot => ({
  ...host,
  containers: host.containers.map((c) => (c.name === name ? { ...c, ...fields } : c)),
});
const summary = (host: HostSnapshot, desired = base) =>
  makePlan(desired, host, { release: true }).actions.map((a) => `${a.kind} ${a.container}${a.reasons.length ? `: ${a.reasons.join("; ")}` : ""}`);

describe("planner", () => {
  const cases: { name: string; desired?: ReturnType<typeof resolve>; host: () => HostSnapshot; expected: string[] }[] = [
    {
      name: "an empty host gets everything created",
      host: () => ({ containers: [], networks: [], volumes: [] }),
      expected: ["create shop-api-1: missing", "create shop-api-2: missing", "create shop-web-1: missing"],
    },
    {
      name: "a host that matches needs nothing",
      host: () => hostMatching(base),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "unchanged shop-web-1"],
    },
    {
      name: "a digest change replaces exactly that service",
      desired: resolve("c2", [stack("shop", [service("web", { dependsOn: ["api"], spec: { image: IMAGE_V2 } }), service("api", { replicas: 2 })])]),
      host: () => hostMatching(base),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "replace shop-web-1: image changed"],
    },
    {
      name: "an environment and port change names both settings",
      desired: resolve("c2", [
        stack("shop", [
          service("web", {
            dependsOn: ["api"],
            spec: { environment: { A: "1" }, ports: [{ target: 80, published: "8080", hostIp: undefined, protocol: "tcp" }] },
          }),
          service("api", { replicas: 2 }),
        ]),
      ]),
      host: () => hostMatching(base),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "replace shop-web-1: config changed: environment, ports"],
    },
    {
      name: "a stopped container is replaced",
      host: () => patch(hostMatching(base), "shop-api-1", { running: false, state: "exited" }),
      expected: ["replace shop-api-1: not running", "unchanged shop-api-2", "unchanged shop-web-1"],
    },
    {
      name: "a running container its healthcheck calls unhealthy is replaced",
      host: () => patch(hostMatching(base), "shop-api-2", { health: "unhealthy" }),
      expected: ["unchanged shop-api-1", "replace shop-api-2: unhealthy", "unchanged shop-web-1"],
    },
    {
      name: "a container recreated by hand from another image is replaced even with copied labels",
      host: () => patch(hostMatching(base), "shop-web-1", { image: "busybox:latest", id: "by-hand" }),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "replace shop-web-1: image changed"],
    },
    {
      name: "fewer replicas removes the extra one",
      desired: resolve("c2", [stack("shop", [service("web", { dependsOn: ["api"] }), service("api", { replicas: 1 })])]),
      host: () => hostMatching(base),
      expected: ["unchanged shop-api-1", "remove shop-api-2: extra replica", "unchanged shop-web-1"],
    },
    {
      name: "a removed service is pruned",
      desired: resolve("c2", [stack("shop", [service("api", { replicas: 2 })])]),
      host: () => hostMatching(base),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "remove shop-web-1: service removed"],
    },
    {
      name: "a removed stack is pruned",
      desired: resolve("c2", [stack("blog", [service("web")])]),
      host: () => hostMatching(base),
      expected: ["create blog-web-1: missing", "remove shop-api-1: stack removed", "remove shop-api-2: stack removed", "remove shop-web-1: stack removed"],
    },
    {
      name: "a foreign container holding a needed name is a conflict and is left alone",
      host: () => patch(hostMatching(base), "shop-web-1", { managed: false, id: "foreign" }),
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "conflict shop-web-1: name held by a container gitdock does not manage"],
    },
    {
      name: "foreign containers with other names are never pruned",
      host: () => {
        const h = hostMatching(base);
        h.containers.push({ ...runningAs(svcOf(base, "shop", "web")), name: "other-thing-1", project: "other", managed: false, id: "x" });
        return h;
      },
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "unchanged shop-web-1"],
    },
    {
      name: "a retained previous revision is not treated as a live replica",
      host: () => {
        const h = hostMatching(base);
        h.containers.push({ ...runningAs(svcOf(base, "shop", "web")), name: "shop-web-1-prev", id: "prev", running: false, previousOf: "shop-web-1" });
        return h;
      },
      expected: ["unchanged shop-api-1", "unchanged shop-api-2", "unchanged shop-web-1"],
    },
  ];

  it.each(cases)("$name", ({ desired, host, expected }) => {
    expect(summary(host(), desired ?? base)).toEqual(expected);
  });

  it("plans the stack's network when it is missing and removes networks of stacks that left", () => {
    const host = hostMatching(base);
    const plan = makePlan(resolve("c2", [stack("blog", [service("web")])]), host, { release: true });
    expect(plan.networksToCreate.map((n) => n.network.name)).toEqual(["blog_default"]);
    expect(plan.networksToRemove).toEqual(["shop_default"]);
  });

  it("reports a missing external network as a blocker instead of creating it", () => {
    const withExternal = stack("shop", [service("web")], {
      networks: [{ key: "edge", name: "edge", external: true, driver: undefined, driverOpts: {}, internal: false, attachable: false, labels: {} }],
    });
    const plan = makePlan(resolve("c1", [withExternal]), { containers: [], networks: [], volumes: [] }, { release: true });
    expect(plan.blockers).toEqual(["shop/compose.yaml: external network edge does not exist; create it first"]);
    expect(plan.networksToCreate).toEqual([]);
  });

  it("lists only the images that creates and replaces need", () => {
    const desired = resolve("c2", [stack("shop", [service("web", { dependsOn: ["api"], spec: { image: IMAGE_V2 } }), service("api", { replicas: 2 })])]);
    expect(makePlan(desired, hostMatching(base), { release: true }).images).toEqual([IMAGE_V2]);
  });

  it("has no changes after apply: planning against the host it produced gives zero actions", () => {
    const plan = makePlan(base, hostMatching(base), { release: true });
    expect(hasChanges(plan)).toBe(false);
    expect(hasChanges(makePlan(base, { containers: [], networks: [], volumes: [] }, { release: true }))).toBe(true);
  });

  it("does not replace a container only because the commit moved", () => {
    const moved = resolve("c9", [stack("shop", [service("web", { dependsOn: ["api"] }), service("api", { replicas: 2 })])]);
    expect(hasChanges(makePlan(moved, hostMatching(base), { release: true }))).toBe(false);
  });

  it("prints text and JSON forms", () => {
    const desired = resolve("c2abcdef", [
      stack("shop", [service("web", { dependsOn: ["api"], spec: spec({ image: IMAGE_V2 }) }), service("api", { replicas: 2 })]),
    ]);
    const plan = makePlan(desired, hostMatching(base), { release: true });
    expect(formatPlanText(plan)).toContain("~ shop-web-1  replace   image changed");
    expect(formatPlanText(plan)).toContain("0 to create, 1 to replace, 0 to remove, 2 unchanged");
    expect(planToJson(plan)).toMatchObject({ summary: { replace: 1, unchanged: 2 }, images: [IMAGE_V2] });
  });
});

describe("planner: the Compose keys real stacks use", () => {
  const manifest = (extra = "", web = "") => `name: shop
services:
  web:
    image: ${IMAGE_V1}
    container_name: shop_web
    expose: [8080, "9000-9001"]
    shm_size: 64m
    security_opt: [no-new-privileges:true]
    sysctls: {net.core.somaxconn: 1024}
    platform: linux/amd64
    runtime: runc
    dns: [1.1.1.1]
    dns_search: [example.test]
    dns_opt: [ndots:2]
    tty: true
    stdin_open: true
    group_add: [audio]
    external_links: [proxy:edge]
    mem_limit: 256m
    memswap_limit: 512m
    mem_reservation: 128m
    cpus: 0.5
    cpu_shares: 512
    pids_limit: 100
    links: [db:database]
    volumes: ["/srv/shop:/data:z"]
    healthcheck: {test: "true", start_interval: 1s}
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2, delay: 1s}
      resources: {reservations: {devices: [{capabilities: [gpu], count: 1}]}}
      update_config: {max_failure_ratio: 0.5}
${web}
  db:
    image: ${IMAGE_V1}
    networks: [default, back]
networks:
  back:
    ipam: {config: [{subnet: 172.28.0.0/16}]}
    enable_ipv6: true
${extra}`;
  const desired = (text: string) => resolve("c1", loadStacks([{ path: "shop/compose.yaml", content: text }], { root: "." }));

  it("has no changes after apply: a manifest using every key, planned against the host it produced", () => {
    const state = desired(manifest());
    const host = hostMatching(state);
    expect(host.containers.map((c) => c.name)).toEqual(["shop-db-1", "shop_web"]);
    expect(hasChanges(makePlan(state, host, { release: true }))).toBe(false);
  });

  it("names the changed settings as the manifest does", () => {
    const before = desired(manifest());
    const after = desired(
      manifest().replace("shm_size: 64m", "shm_size: 128m").replace("pids_limit: 100", "pids_limit: 200").replace("group_add: [audio]", "group_add: [video]"),
    );
    expect(summary(hostMatching(before), after)).toEqual(["unchanged shop-db-1", "replace shop_web: config changed: group_add, pids_limit, shm_size"]);
  });

  it("finds a container_name container by its name, and moves the service when the name changes", () => {
    const before = desired(manifest());
    const renamed = desired(manifest().replace("container_name: shop_web", "container_name: shop_front"));
    expect(summary(hostMatching(before), renamed)).toEqual(["unchanged shop-db-1", "create shop_front: missing", "remove shop_web: container name changed"]);
  });
});

describe("removals wait for the commit's health", () => {
  const port = (published: string) => ({ target: 80, published, hostIp: undefined, protocol: "tcp" as const });
  it("only a removed container that publishes a host port the commit needs goes before the creates", () => {
    const desired = resolve("c2", [stack("blog", [service("web", { spec: { ports: [port("8080")] } })])]);
    const host = patch(patch(hostMatching(base), "shop-web-1", { publishedPorts: ["8080/tcp"] }), "shop-api-1", { publishedPorts: ["9090/tcp"] });
    const removals = makePlan(desired, host, { release: true }).actions.filter((a) => a.kind === "remove");
    expect(removals.map((a) => `${a.container}${a.beforeCreates ? " before creates" : ""}`)).toEqual(["shop-api-1", "shop-api-2", "shop-web-1 before creates"]);
  });

  it("a range or another protocol is matched port by port", () => {
    const desired = resolve("c2", [stack("blog", [service("web", { spec: { ports: [port("8000-8010")] } })])]);
    const host = patch(patch(hostMatching(base), "shop-web-1", { publishedPorts: ["8005/udp"] }), "shop-api-1", { publishedPorts: ["8010/tcp"] });
    expect(
      makePlan(desired, host, { release: true })
        .actions.filter((a) => a.beforeCreates)
        .map((a) => a.container),
    ).toEqual(["shop-api-1"]);
  });
});
