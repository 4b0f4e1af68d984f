/**
 * The host policy on what gitdock sends a Swarm: service specs (create and update), secret and
 * config creates, overlay network creates. Each attack a commit could try through a service spec
 * is refused with the field that carries it; a plain service passes.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import {
  guardedPaths,
  judgeEngineRequests,
  locateViolations,
  type EngineObjects,
  type EngineRequest,
  type HostPolicy,
  type PolicySources,
  type StackDeclarations,
} from "../../src/policy/index.js";

const IMAGE = `127.0.0.1:5000/shop/web@sha256:${"a".repeat(64)}`;
const AGENT = "agent-h1";
const at = (path: (string | number)[], project = "app") => ({ file: `hosts/h1/${project}/compose.yaml`, project, path });

const APP: StackDeclarations = {
  containers: new Set(),
  networks: new Map([
    ["app_default", { external: false }],
    ["app_back", { external: false }],
    ["proxy", { external: true }],
  ]),
  volumes: new Map([
    ["app_data", { external: false }],
    ["shared", { external: true }],
  ]),
  swarmSecrets: new Set(["app_db_password_5f3a"]),
  swarmConfigs: new Set(["app_nginx_conf_9c1e"]),
};
const OTHER: StackDeclarations = {
  containers: new Set(),
  networks: new Map([["other_default", { external: false }]]),
  volumes: new Map(),
  swarmSecrets: new Set(["other_api_key_77aa"]),
};
const STACKS = new Map([
  ["app", APP],
  ["other", OTHER],
]);
const GUARDED = guardedPaths(["/etc/gitdock/config.yaml", "/var/lib/gitdock", "/etc/gitdock/git-token"], ["/var/lib/gitdock/files"]);
const POLICY: HostPolicy = { ...DEFAULT_POLICY, registries: ["127.0.0.1:5000/shop"], publishedPorts: ["8000-8999"] };

function judgeAll(requests: EngineRequest[], policy: Partial<HostPolicy> = {}, opts: { engine?: EngineObjects; swarm?: boolean } = {}) {
  return judgeEngineRequests(requests, {
    policy: { ...POLICY, ...policy },
    guarded: GUARDED,
    stacks: STACKS,
    swarm: opts.swarm ?? true,
    agentId: AGENT,
    ...(opts.engine ? { engine: opts.engine } : {}),
  });
}
const fields = (requests: EngineRequest[], policy: Partial<HostPolicy> = {}, opts: { engine?: EngineObjects; swarm?: boolean } = {}) =>
  judgeAll(requests, policy, opts).map((v) => v.field);
const messages = (requests: EngineRequest[], policy: Partial<HostPolicy> = {}, opts: { engine?: EngineObjects; swarm?: boolean } = {}) =>
  judgeAll(requests, policy, opts).map((v) => `${v.field}: ${v.message}`);

const GITDOCK_LABELS = { "com.docker.stack.namespace": "app", "gitdock.managed": "true", "gitdock.agent": AGENT, "gitdock.commit": "c0ffee" };

/** What src/swarm/ sends for a plain service, with `spec` merged into its ContainerSpec, `task` into its TaskTemplate, `top` into the ServiceSpec. */
function service(spec: Record<string, unknown> = {}, task: Record<string, unknown> = {}, top: Record<string, unknown> = {}, name = "web"): EngineRequest {
  return {
    kind: "service-create",
    body: {
      Name: `app_${name}`,
      Labels: { ...GITDOCK_LABELS },
      TaskTemplate: {
        ContainerSpec: { Image: IMAGE, Labels: { "com.docker.stack.namespace": "app" }, ...spec },
        Networks: [{ Target: "app_default", Aliases: [name] }],
        ...task,
      },
      Mode: { Replicated: { Replicas: 2 } },
      ...top,
    },
    origin: at(["services", name]),
  };
}
const mount = (m: Record<string, unknown>) => service({ Mounts: [{ Target: "/data", ...m }] });
const MOUNT = "TaskTemplate.ContainerSpec.Mounts[0]";

describe("a plain service", () => {
  it("is allowed: the stack's networks, secret, config and volume, a bind under a root, a port in range, gitdock's labels", () => {
    const plain = service(
      {
        User: "1000",
        Secrets: [{ SecretName: "app_db_password_5f3a", SecretID: "s1", File: { Name: "db_password", UID: "0", GID: "0", Mode: 0o400 } }],
        Configs: [{ ConfigName: "app_nginx_conf_9c1e", ConfigID: "c1", File: { Name: "/etc/nginx/nginx.conf", UID: "0", GID: "0", Mode: 0o444 } }],
        Mounts: [
          { Type: "volume", Source: "app_data", Target: "/data", VolumeOptions: { DriverConfig: { Name: "local" } } },
          { Type: "bind", Source: "/srv/app/uploads", Target: "/uploads" },
          { Type: "bind", Source: "/var/lib/gitdock/files/ab/cd", Target: "/etc/app.conf", ReadOnly: true },
        ],
      },
      { Networks: [{ Target: "app_default" }, { Target: "app_back" }] },
      { EndpointSpec: { Mode: "vip", Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] } },
    );
    const engine: EngineObjects = {
      containers: new Map(),
      networks: new Map([["app_default", true]]),
      volumes: new Map(),
      services: new Map([["app_web", true]]),
      secrets: new Map([["app_db_password_5f3a", { id: "s1", managed: true }]]),
      configs: new Map([["app_nginx_conf_9c1e", { id: "c1", managed: true }]]),
    };
    expect(messages([plain], {}, { engine })).toEqual([]);
  });
});

describe("attacks through a service spec, each refused with its field", () => {
  it("a bind of / or of the Docker socket, or of the agent's own files", () => {
    expect(messages([mount({ Type: "bind", Source: "/" })])).toEqual([
      `${MOUNT}.Source: bind source / would expose the agent's own /etc/gitdock/gitdock.env; no policy allows that`,
    ]);
    expect(messages([mount({ Type: "bind", Source: "/var/run/docker.sock" })])).toEqual([
      `${MOUNT}.Source: bind mount of /var/run/docker.sock would hand the container the Docker socket (root on this host); the host policy must list it exactly in bind_roots`,
    ]);
    expect(fields([mount({ Type: "bind", Source: "/run", ReadOnly: true })])).toEqual([`${MOUNT}.Source`]);
    expect(messages([mount({ Type: "bind", Source: "/srv/../var/lib/gitdock", ReadOnly: true })])).toEqual([
      expect.stringMatching(/Source: bind source \/srv\/\.\.\/var\/lib\/gitdock would expose the agent's own/),
    ]);
    expect(fields([mount({ Type: "bind", Source: "/etc" })])).toEqual([`${MOUNT}.Source`]);
    // The socket is allowed when the host's root lists it exactly.
    expect(fields([mount({ Type: "bind", Source: "/var/run/docker.sock" })], { bindRoots: ["/srv", "/var/run/docker.sock"] })).toEqual([]);
  });

  it("shared mount propagation, and mount types that reach the host another way", () => {
    expect(fields([mount({ Type: "bind", Source: "/srv/a", BindOptions: { Propagation: "rshared" } })])).toEqual([`${MOUNT}.BindOptions.Propagation`]);
    expect(fields([mount({ Type: "npipe", Source: "\\\\.\\pipe\\docker_engine" })])).toEqual([`${MOUNT}.Type`]);
    expect(fields([mount({ Type: "cluster", Source: "csi-vol" })])).toEqual([`${MOUNT}.Type`]);
    expect(fields([mount({ Type: "tmpfs", Source: "/etc" })])).toEqual([`${MOUNT}.Source`]);
  });

  it("a volume Swarm would create on each node: judged as a volume create (driver, bind device, type)", () => {
    const vol = (DriverConfig: Record<string, unknown>, Source = "app_data") => mount({ Type: "volume", Source, VolumeOptions: { DriverConfig } });
    expect(fields([vol({ Name: "local", Options: { type: "none", o: "bind", device: "/etc" } })])).toEqual([
      `${MOUNT}.VolumeOptions.DriverConfig.Options.device`,
    ]);
    expect(fields([vol({ Name: "local", Options: { type: "none", o: "bind", device: "/srv/app/data" } })])).toEqual([]);
    expect(fields([vol({ Name: "local", Options: { type: "nfs", o: "addr=10.0.0.1", device: ":/export" } })])).toEqual([
      `${MOUNT}.VolumeOptions.DriverConfig.Options.type`,
    ]);
    expect(fields([vol({ Name: "local", Options: { type: "nfs", o: "addr=10.0.0.1", device: ":/export" } })], { volumeTypes: ["nfs"] })).toEqual([]);
    expect(fields([vol({ Name: "rexray/ebs" })])).toEqual([`${MOUNT}.VolumeOptions.DriverConfig.Name`]);
    expect(fields([vol({}, "other_data")])).toEqual([`${MOUNT}.Source`]);
    expect(fields([vol({}, "shared")])).toEqual([`${MOUNT}.Source`]);
    expect(fields([vol({}, "shared")], { externalVolumes: ["shared"] })).toEqual([]);
  });

  it("a privileged equivalent: adding ALL or SYS_ADMIN capabilities", () => {
    expect(messages([service({ CapabilityAdd: ["ALL"] })])).toEqual([
      "TaskTemplate.ContainerSpec.CapabilityAdd[0]: adding capability ALL is not allowed by the host policy (allowed: none)",
    ]);
    expect(fields([service({ CapabilityAdd: ["CAP_NET_BIND_SERVICE", "cap_sys_admin"] })], { capAdd: ["NET_BIND_SERVICE"] })).toEqual([
      "TaskTemplate.ContainerSpec.CapabilityAdd[1]",
    ]);
    expect(fields([service({ CapabilityAdd: ["SYS_ADMIN"] })], { capAdd: ["SYS_ADMIN"] })).toEqual([]);
  });

  it("root in any spelling runc reads", () => {
    for (const user of ["root", "0", "0:0", "+0", ":1000"]) expect(fields([service({ User: user })])).toEqual(["TaskTemplate.ContainerSpec.User"]);
    expect(fields([service({ User: "0" })], { rootUser: true })).toEqual([]);
  });

  it("a secret or config of another stack, one made by hand, or an id that is another secret's", () => {
    const secret = (ref: Record<string, unknown>) => service({ Secrets: [{ File: { Name: "s" }, ...ref }] });
    expect(messages([secret({ SecretName: "other_api_key_77aa" })])).toEqual([
      expect.stringMatching(/^TaskTemplate\.ContainerSpec\.Secrets\[0\]\.SecretName: secret "other_api_key_77aa" is not one of stack app's/),
    ]);
    expect(messages([secret({ SecretName: "app_by_hand" })])).toEqual([
      "TaskTemplate.ContainerSpec.Secrets[0].SecretName: secret app_by_hand is not a secret this stack declares",
    ]);
    expect(fields([secret({ SecretID: "s9" })])).toEqual(["TaskTemplate.ContainerSpec.Secrets[0].SecretName"]);
    const engine: EngineObjects = {
      containers: new Map(),
      networks: new Map(),
      volumes: new Map(),
      secrets: new Map([
        ["app_db_password_5f3a", { id: "s1", managed: false }],
        ["ops_root_ca", { id: "s2", managed: false }],
      ]),
    };
    expect(messages([secret({ SecretName: "app_db_password_5f3a", SecretID: "s1" })], {}, { engine })).toEqual([
      "TaskTemplate.ContainerSpec.Secrets[0].SecretName: secret app_db_password_5f3a already exists on the Swarm and gitdock does not own it",
    ]);
    const owned: EngineObjects = { ...engine, secrets: new Map([...engine.secrets!, ["app_db_password_5f3a", { id: "s1", managed: true }]]) };
    expect(messages([secret({ SecretName: "app_db_password_5f3a", SecretID: "s2" })], {}, { engine: owned })).toEqual([
      "TaskTemplate.ContainerSpec.Secrets[0].SecretID: secret id s2 is the secret ops_root_ca, not app_db_password_5f3a: the Engine would mount ops_root_ca",
    ]);
    expect(messages([secret({ SecretName: "app_db_password_5f3a", SecretID: "s-unknown" })], {}, { engine: owned })).toEqual([
      "TaskTemplate.ContainerSpec.Secrets[0].SecretID: secret id s-unknown is not the id of secret app_db_password_5f3a (s1): the Engine mounts by id",
    ]);
    // A name and an id the Engine's view does not know yet: a secret gitdock created after looking.
    const later: StackDeclarations = { ...APP, swarmSecrets: new Set(["app_db_password_5f3a", "app_db_password_6b00"]) };
    const judgedLater = judgeEngineRequests([secret({ SecretName: "app_db_password_6b00", SecretID: "s-new" })], {
      policy: POLICY,
      guarded: GUARDED,
      stacks: new Map([["app", later]]),
      engine: owned,
      swarm: true,
    });
    expect(judgedLater).toEqual([]);
    expect(fields([service({ Configs: [{ ConfigName: "other_nginx_conf", File: { Name: "/c" } }] })])).toEqual([
      "TaskTemplate.ContainerSpec.Configs[0].ConfigName",
    ]);
    expect(fields([service({ Configs: [{ ConfigName: "app_nginx_conf_9c1e", Runtime: {} }] })])).toEqual(["TaskTemplate.ContainerSpec.Configs[0].Runtime"]);
  });

  it("a network of another stack, an external one the policy does not list, or one gitdock does not own", () => {
    const on = (Target: string) => service({}, { Networks: [{ Target }] });
    expect(messages([on("other_default")])).toEqual(["TaskTemplate.Networks[0].Target: network other_default is not a network of this stack"]);
    expect(fields([on("proxy")])).toEqual(["TaskTemplate.Networks[0].Target"]);
    expect(fields([on("proxy")], { externalNetworks: ["proxy"] })).toEqual([]);
    const engine: EngineObjects = { containers: new Map(), networks: new Map([["app_default", false]]), volumes: new Map() };
    expect(fields([on("app_default")], {}, { engine })).toEqual(["TaskTemplate.Networks[0].Target"]);
    // The deprecated top-level Networks is judged alike.
    expect(fields([service({}, {}, { Networks: [{ Target: "other_default" }] })])).toEqual(["Networks[0].Target"]);
    expect(fields([service({}, { Networks: [{ Target: "app_default", DriverOpts: { "com.docker.network.endpoint.ifname": "eth9" } }] })])).toEqual([
      "TaskTemplate.Networks[0].DriverOpts",
    ]);
  });

  it("the ingress network, the nodes' bridges, and the host's network unless the policy allows it", () => {
    const on = (Target: string) => service({}, { Networks: [{ Target }] });
    for (const target of ["ingress", "docker_gwbridge", "bridge"]) {
      expect(messages([on(target)])).toEqual([
        `TaskTemplate.Networks[0].Target: the Swarm's "${target}" network is not allowed by the host policy: use a network of the stack`,
      ]);
    }
    expect(messages([on("host")])).toEqual(["TaskTemplate.Networks[0].Target: the host network is not allowed by the host policy"]);
    expect(fields([on("host")], { hostNetwork: true })).toEqual([]);
    // With the host's network, a net.* sysctl would change the host.
    const hostSysctl = service({ Sysctls: { "net.ipv4.ip_forward": "1" } }, { Networks: [{ Target: "host" }] });
    expect(fields([hostSysctl], { hostNetwork: true })).toEqual(["TaskTemplate.ContainerSpec.Sysctls.net.ipv4.ip_forward"]);
    expect(fields([service({ Sysctls: { "net.ipv4.ip_forward": "1" } })])).toEqual([]);
    expect(fields([service({ Sysctls: { "kernel.domainname": "x" } })])).toEqual(["TaskTemplate.ContainerSpec.Sysctls.kernel.domainname"]);
  });

  it("a port outside the policy's ranges, published through the routing mesh or on the node", () => {
    const publish = (port: Record<string, unknown>) => service({}, {}, { EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 22, ...port }] } });
    expect(messages([publish({ PublishedPort: 22 })])).toEqual([
      "EndpointSpec.Ports[0].PublishedPort: published port 22 is outside the ranges the host policy allows (8000-8999)",
    ]);
    expect(fields([publish({ PublishedPort: 9000, PublishMode: "host" })])).toEqual(["EndpointSpec.Ports[0].PublishedPort"]);
    expect(fields([publish({ PublishedPort: 8022, PublishMode: "host" })])).toEqual([]);
    expect(fields([publish({ PublishedPort: 0 })])).toEqual([]);
    expect(fields([publish({ PublishedPort: "22" })])).toEqual(["EndpointSpec.Ports[0].PublishedPort"]);
    expect(fields([publish({ PublishedPort: 8080, PublishMode: "mesh" })])).toEqual(["EndpointSpec.Ports[0].PublishMode"]);
  });

  it("an image from a registry the policy does not allow", () => {
    expect(messages([service({ Image: `docker.io/library/alpine@sha256:${"b".repeat(64)}` })])).toEqual([
      "TaskTemplate.ContainerSpec.Image: registry docker.io/library/alpine is not allowed by the host policy (allowed: 127.0.0.1:5000/shop)",
    ]);
    expect(fields([service({ Image: `127.0.0.1:5000/shopping/web@sha256:${"b".repeat(64)}` })])).toEqual(["TaskTemplate.ContainerSpec.Image"]);
  });

  it("forged stack and gitdock labels, on the service and on its containers", () => {
    expect(messages([service({}, {}, { Labels: { ...GITDOCK_LABELS, "com.docker.stack.namespace": "other" } })])).toEqual([
      'Labels.com.docker.stack.namespace: label com.docker.stack.namespace is "other", but gitdock sets it to "app" for stack app: it cannot be set by a commit',
    ]);
    expect(fields([service({ Labels: { "com.docker.stack.namespace": "other" } })])).toEqual(["TaskTemplate.ContainerSpec.Labels.com.docker.stack.namespace"]);
    expect(fields([service({}, {}, { Labels: { ...GITDOCK_LABELS, "gitdock.managed": "false" } })])).toEqual(["Labels.gitdock.managed"]);
    expect(fields([service({}, {}, { Labels: { ...GITDOCK_LABELS, "gitdock.agent": "someone-else" } })])).toEqual(["Labels.gitdock.agent"]);
    expect(fields([service({ Labels: { "com.docker.compose.project": "other" } })])).toEqual(["TaskTemplate.ContainerSpec.Labels.com.docker.compose.project"]);
    expect(messages([service({ Labels: { "gitdock.owner": "me" } })])).toEqual([
      "TaskTemplate.ContainerSpec.Labels.gitdock.owner: label gitdock.owner is reserved: gitdock and docker stack set these labels themselves, and gitdock.owner is not one of them",
    ]);
    expect(fields([service({ Labels: { "com.docker.stack.whatever": "x", "com.example.team": "shop" } })])).toEqual([
      "TaskTemplate.ContainerSpec.Labels.com.docker.stack.whatever",
    ]);
  });

  it("a service named into another stack, or over one gitdock does not own", () => {
    const named = (Name: string) => service({}, {}, { Name });
    expect(fields([named("other_web")])).toEqual(["Name"]);
    const engine: EngineObjects = { containers: new Map(), networks: new Map(), volumes: new Map(), services: new Map([["app_web", false]]) };
    expect(messages([named("app_web")], {}, { engine })).toEqual(["Name: service app_web already exists on the Swarm and gitdock does not own it"]);
  });

  it("a logging driver, generic resources (GPUs) and confinement the policy does not allow", () => {
    expect(fields([service({}, { LogDriver: { Name: "syslog", Options: { "syslog-address": "tcp://evil:514" } } })])).toEqual(["TaskTemplate.LogDriver.Name"]);
    const gpu = service({}, { Resources: { Reservations: { GenericResources: [{ NamedResourceSpec: { Kind: "GPU", Value: "UUID1" } }] } } });
    expect(fields([gpu])).toEqual(["TaskTemplate.Resources.Reservations.GenericResources"]);
    expect(fields([gpu], { deviceRequests: true })).toEqual([]);
    expect(fields([service({ Privileges: { CredentialSpec: { File: "spec.json" } } })])).toEqual(["TaskTemplate.ContainerSpec.Privileges.CredentialSpec"]);
    expect(fields([service({ Privileges: { Seccomp: { Mode: "unconfined" } } })])).toEqual(["TaskTemplate.ContainerSpec.Privileges.Seccomp"]);
  });

  it("a bind inside a directory another service mounts read-write", () => {
    const outer = service({ Mounts: [{ Type: "bind", Source: "/srv/app", Target: "/a" }] }, {}, {}, "web");
    const inner = service({ Mounts: [{ Type: "bind", Source: "/srv/app/conf", Target: "/b", ReadOnly: true }] }, {}, {}, "worker");
    expect(messages([outer, inner])).toEqual([
      `${MOUNT}.Source: bind source /srv/app/conf is inside /srv/app, which service app_web mounts read-write: that container could plant a symlink in the path; mount sibling directories instead`,
    ]);
  });
});

describe("secret and config creates", () => {
  const DATA = "c3VwZXItc2VjcmV0LXZhbHVl"; // the content: must never appear in a message
  const secret = (body: Record<string, unknown>): EngineRequest => ({
    kind: "secret-create",
    body: { Name: "app_db_password_5f3a", Labels: { ...GITDOCK_LABELS }, Data: DATA, ...body },
    origin: at(["secrets", "db_password"]),
  });
  const config = (body: Record<string, unknown>): EngineRequest => ({
    kind: "config-create",
    body: { Name: "app_nginx_conf_9c1e", Labels: { ...GITDOCK_LABELS }, Data: DATA, ...body },
    origin: at(["configs", "nginx_conf"]),
  });

  it("allows the stack's own, with any content", () => {
    expect(messages([secret({}), config({})])).toEqual([]);
  });

  it("refuses a driver or templating, a name outside the stack, and forged labels, never quoting the content", () => {
    const found = messages([
      secret({ Driver: { Name: "vault" } }),
      secret({ Templating: { Name: "golang" } }),
      secret({ Name: "other_api_key_77aa" }),
      secret({ Labels: { "com.docker.stack.namespace": "other" } }),
      config({ Templating: { Name: "golang" } }),
      config({ Name: "app_undeclared" }),
    ]);
    expect(found.map((m) => m.split(":")[0])).toEqual(["Driver", "Templating", "Name", "Labels.com.docker.stack.namespace", "Templating", "Name"]);
    expect(found.join("\n")).not.toContain(DATA);
    expect(found.join("\n")).not.toContain("super-secret");
  });

  it("refuses one that exists on the Swarm and is not gitdock's", () => {
    const engine: EngineObjects = {
      containers: new Map(),
      networks: new Map(),
      volumes: new Map(),
      configs: new Map([["app_nginx_conf_9c1e", { id: "c1", managed: false }]]),
    };
    expect(fields([config({})], {}, { engine })).toEqual(["Name"]);
  });
});

describe("overlay network creates", () => {
  const overlay = (body: Record<string, unknown> = {}): EngineRequest => ({
    kind: "network-create",
    body: { Name: "app_default", Driver: "overlay", Attachable: true, Scope: "swarm", CheckDuplicate: true, Labels: { a: "b" }, ...body },
    origin: at(["networks", "default"]),
  });

  it("allows a stack's overlay network under Swarm, as its default driver; elsewhere only when network_drivers lists it", () => {
    expect(fields([overlay()])).toEqual([]);
    expect(
      fields([overlay({ Options: { "com.docker.network.driver.mtu": "1400" }, IPAM: { Driver: "default", Config: [{ Subnet: "10.20.0.0/24" }] } })]),
    ).toEqual([]);
    expect(messages([overlay()], {}, { swarm: false })).toEqual(['Driver: network driver "overlay" is not allowed by the host policy (allowed: bridge)']);
    expect(fields([overlay()], { networkDrivers: ["bridge", "overlay"] }, { swarm: false })).toEqual([]);
  });

  it("keeps the routing mesh, config-only networks, encryption and VXLAN ids at the defaults", () => {
    expect(fields([overlay({ Ingress: true })])).toEqual(["Ingress"]);
    expect(fields([overlay({ ConfigOnly: true })])).toEqual(["ConfigOnly"]);
    expect(fields([overlay({ ConfigFrom: { Network: "macvlan-config" } })])).toEqual(["ConfigFrom"]);
    expect(fields([overlay({ Options: { encrypted: "" } })])).toEqual(["Options.encrypted"]);
    expect(fields([overlay({ Options: { "com.docker.network.driver.overlay.vxlanid_list": "4097" } })])).toEqual([
      "Options.com.docker.network.driver.overlay.vxlanid_list",
    ]);
    expect(fields([overlay({ Scope: "local" })])).toEqual(["Scope"]);
    expect(fields([overlay({ IPAM: { Config: [{ Subnet: "8.8.8.0/24" }] } })])).toEqual(["IPAM.Config[0].Subnet"]);
  });

  it("never takes the name of the Swarm's own networks", () => {
    for (const Name of ["ingress", "docker_gwbridge", "host"]) expect(fields([overlay({ Name })])).toEqual(["Name"]);
  });
});

describe("violations located in the Compose file", () => {
  it("points a service field at the Compose key that asked for it, else at the service", () => {
    const written = new Map<string, unknown>([
      ["services.web.cap_add", ["SYS_ADMIN"]],
      ["services.web.ports", ["22:22"]],
      ["services.web.deploy.labels", { x: "y" }],
    ]);
    const sources: PolicySources = {
      valueAt: (_file, path) => written.get(path.join(".")),
      locate: (_file, path) => ({ line: path.length, col: written.has(path.join(".")) ? 7 : 1 }),
    };
    const problems = locateViolations(
      judgeAll([
        service({ CapabilityAdd: ["SYS_ADMIN"] }, {}, { EndpointSpec: { Ports: [{ TargetPort: 22, PublishedPort: 22 }] }, Labels: { "gitdock.x": "1" } }),
      ]),
      sources,
    );
    expect(problems.map((p) => `${p.path} ${p.line}:${p.col}`)).toEqual([
      "services.web.deploy.labels 4:7",
      "services.web.cap_add 3:7",
      "services.web.ports 3:7",
    ]);
    expect(problems[1]?.message).toMatch(/adding capability SYS_ADMIN .* \[Engine request field TaskTemplate\.ContainerSpec\.CapabilityAdd\[0\]\]$/);
  });
});
