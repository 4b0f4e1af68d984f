import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyFromInput, securitySectionDefaults, securitySectionSchema } from "../../src/config/security-section.js";
import { ConfigInvalidError, formatProblem } from "../../src/errors.js";
import { loadManifest } from "../../src/manifest/index.js";
import { readPolicyFile } from "../../src/config/read-policy-file.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { checkPolicy, type HostPolicy } from "../../src/policy/index.js";
import { bindSourceAllowed, exposesDockerSocket, isUnder } from "../../src/policy/host-paths.js";
import { imageLocation, registryAllows } from "../../src/policy/image-registry.js";
import { FILE, IMAGE, webFile } from "../fixtures/manifest/helpers.js";

/** The problems of `webFile(body, top)` under `policy` (default: the agent's defaults). */
function violations(body: string, top = "", policy: Partial<HostPolicy> = {}) {
  const { stacks, sources } = loadManifest([{ path: FILE, content: webFile(body, top) }], { root: "stacks" });
  return checkPolicy(stacks, { ...DEFAULT_POLICY, ...policy }, sources);
}

/** [rule, service body, top-level, policy that allows it, path of the violation, message] */
type Row = [string, string, string, Partial<HostPolicy>, string, RegExp];

const SECRET_TOP = "secrets:\n  db:\n    file: /etc/gitdock/secrets/db";

const rows: Row[] = [
  ["privileged", "privileged: true", "", { privileged: true }, "services.web.privileged", /privileged containers are not allowed/],
  ["network_mode: host", "network_mode: host", "", { hostNetwork: true }, "services.web.network_mode", /network_mode: host is not allowed/],
  ["pid: host", "pid: host", "", { hostPid: true }, "services.web.pid", /pid: host is not allowed/],
  ["ipc: host", "ipc: host", "", { hostIpc: true }, "services.web.ipc", /ipc: host is not allowed/],
  ["user: root", "user: root", "", { rootUser: true }, "services.web.user", /runs as root/],
  ["user: 0:0", 'user: "0:0"', "", { rootUser: true }, "services.web.user", /runs as root/],
  ["user: 0 as a number", "user: 0", "", { rootUser: true }, "services.web.user", /runs as root/],
  ["cap_add", "cap_add: [CHOWN, net_admin]", "", { capAdd: ["CAP_NET_ADMIN", "chown"] }, "services.web.cap_add[1]", /capability NET_ADMIN is not allowed/],
  ["cap_add ALL", "cap_add: [ALL]", "", { capAdd: ["ALL"] }, "services.web.cap_add[0]", /capability ALL/],
  ["devices", 'devices: ["/dev/ttyUSB0"]', "", { devices: ["/dev/ttyUSB0"] }, "services.web.devices[0]", /device \/dev\/ttyUSB0 is not allowed/],
  [
    "a bind mount outside the roots",
    'volumes: ["/etc:/host-etc:ro"]',
    "",
    { bindRoots: ["/etc"] },
    "services.web.volumes[0]",
    /bind mount source \/etc is outside/,
  ],
  [
    "a bind that climbs out of a root",
    'volumes: ["/srv/../etc:/x"]',
    "",
    { bindRoots: ["/"] },
    "services.web.volumes[0]",
    /source \/srv\/\.\.\/etc is outside/,
  ],
  [
    "a long-syntax bind",
    "volumes:\n  - {type: bind, source: /opt/data, target: /data}",
    "",
    { bindRoots: ["/opt"] },
    "services.web.volumes[0].source",
    /outside/,
  ],
  [
    "the Docker socket",
    'volumes: ["/var/run/docker.sock:/var/run/docker.sock"]',
    "",
    { bindRoots: ["/var/run/docker.sock"] },
    "services.web.volumes[0]",
    /Docker socket/,
  ],
  ["the directory of the Docker socket", 'volumes: ["/run:/host-run"]', "", { bindRoots: ["/run"] }, "services.web.volumes[0]", /Docker socket/],
  [
    "a local volume bound to a host path",
    "volumes: [data:/data]",
    "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /etc}",
    { bindRoots: ["/etc"] },
    "volumes.data.driver_opts.device",
    /a volume bound to \/etc/,
  ],
  ["env_file", "env_file: /etc/app.env", "", { envFileRoots: ["/etc"] }, "services.web.env_file", /env_file \/etc\/app.env is outside/],
  [
    "env_file in a list",
    "env_file: [/srv/ok.env, {path: /etc/app.env}]",
    "",
    { envFileRoots: ["/srv", "/etc/app.env"] },
    "services.web.env_file[1].path",
    /env_file \/etc\/app.env/,
  ],
  ["a published port", 'ports: ["80:8080"]', "", { publishedPorts: ["80", "443"] }, "services.web.ports[0]", /host port 80\/tcp is outside/],
  [
    "a port in a range expansion",
    'ports: ["9000:80", "8080-8081:80-81"]',
    "",
    { publishedPorts: ["8000-9000"] },
    "services.web.ports[1]",
    /host port 8080\/tcp/,
  ],
  [
    "a long-syntax port",
    "ports:\n  - {target: 53, published: 53, protocol: udp}",
    "",
    { publishedPorts: ["1-100"] },
    "services.web.ports[0]",
    /host port 53\/udp/,
  ],
  ["a registry", "", "", { registries: ["docker.io/library"] }, "services.web.image", /registry docker.io\/library\/nginx is not allowed/],
  [
    "a secret file outside the roots",
    "secrets: [db]",
    "secrets:\n  db:\n    file: /root/db.txt",
    { secretRoots: ["/root"] },
    "secrets.db.file",
    /secret file \/root\/db.txt is outside/,
  ],
  [
    "a relabeled bind outside the roots",
    'volumes: ["/opt/data:/data:Z"]',
    "",
    { bindRoots: ["/opt"] },
    "services.web.volumes[0]",
    /bind mount source \/opt\/data is outside/,
  ],
  [
    "a device request (GPU)",
    "deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}",
    "",
    { deviceRequests: true },
    "services.web.deploy.resources.reservations.devices",
    /device requests .* not allowed/,
  ],
  [
    "a link to a container outside the stack",
    "external_links: [db_1, proxy:edge]",
    "",
    { externalLinks: ["proxy", "db_1"] },
    "services.web.external_links[1]",
    /a link to container proxy outside the stack/,
  ],
  [
    "an IPAM driver",
    "networks: [n]",
    "networks:\n  n:\n    ipam: {driver: infoblox}",
    { ipamDrivers: ["infoblox"] },
    "networks.n.ipam.driver",
    /IPAM driver infoblox is not allowed/,
  ],
  [
    "a public subnet",
    "networks: [n]",
    "networks:\n  n:\n    ipam: {config: [{subnet: 8.8.8.0/24, gateway: 8.8.8.1}]}",
    { networkSubnets: ["8.8.8.0/24"] },
    "networks.n.ipam.config[0].subnet",
    /8.8.8.0\/24 is outside the address space/,
  ],
];

describe("host policy: every rule each way", () => {
  it.each(rows)("%s: refused by the policy that forbids it, with its position", (_rule, body, top, _allow, path, message) => {
    // The defaults, narrowed where their default is open (env files, ports, registries).
    const strict: Partial<HostPolicy> = { envFileRoots: ["/srv"], publishedPorts: ["9000"], registries: ["ghcr.io"] };
    const found = violations(body, top, strict);
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, found.map(formatProblem).join("\n")).toBeDefined();
    expect(match!.file).toBe(FILE);
    const line = webFile(body, top).split("\n")[match!.line - 1] ?? "";
    expect(line.length).toBeGreaterThanOrEqual(match!.col);
  });

  it.each(rows)("%s: allowed by the policy that lists it", (_rule, body, top, allow, path) => {
    const found = violations(body, top, { envFileRoots: ["/srv"], ...allow });
    expect(found.filter((p) => p.path === path).map(formatProblem)).toEqual([]);
  });

  it("points at the line and column of the violation", () => {
    const found = violations('privileged: true\nports: ["22:22"]', "", { publishedPorts: ["1024-65535"] });
    expect(found.map(formatProblem)).toEqual([
      `${FILE}:4:17: services.web.privileged: privileged containers are not allowed by the host policy`,
      `${FILE}:5:13: services.web.ports[0]: host port 22/tcp is outside the ranges the host policy allows (1024-65535)`,
    ]);
  });

  it("lists every violation of every service, sorted by position", () => {
    const file = `services:\n  a:\n    image: ${IMAGE}\n    privileged: true\n    network_mode: host\n  b:\n    image: ${IMAGE}\n    user: root\n    cap_add: [SYS_ADMIN]\n`;
    const { stacks, sources } = loadManifest([{ path: FILE, content: file }], { root: "stacks" });
    expect(checkPolicy(stacks, DEFAULT_POLICY, sources).map((p) => `${p.line}:${p.path}`)).toEqual([
      "4:services.a.privileged",
      "5:services.a.network_mode",
      "8:services.b.user",
      "9:services.b.cap_add[0]",
    ]);
  });

  it("allows what the defaults allow: any registry, non-root users, binds under /srv, env files under /etc/gitdock/env, any port, no user", () => {
    expect(
      violations(
        'user: "1000:1000"\nvolumes: ["/srv/app:/app", "/var/lib/gitdock-data/x:/x"]\nenv_file: /etc/gitdock/env/app.env\nports: ["80:80"]\ncap_drop: [ALL]',
        SECRET_TOP,
      ),
    ).toEqual([]);
    expect(violations("")).toEqual([]);
  });

  it("leaves ephemeral and unpublished ports alone", () => {
    expect(violations('ports: ["80", "127.0.0.1::81"]', "", { publishedPorts: [] })).toEqual([]);
  });

  it("reports at 1:1 of the file without sources", () => {
    const { stacks } = loadManifest([{ path: FILE, content: webFile("privileged: true") }], { root: "stacks" });
    expect(checkPolicy(stacks, DEFAULT_POLICY)).toMatchObject([{ file: FILE, line: 1, col: 1, path: "services.web.privileged" }]);
  });
});

describe("host policy: paths and registries", () => {
  it.each([
    ["/srv", "/srv", true],
    ["/srv/a", "/srv", true],
    ["/srvx", "/srv", false],
    ["/srv/../etc", "/srv", false],
    ["/etc", "/", true],
    ["/srv/a/", "/srv/", true],
  ])("%s under %s: %s", (p, root, ok) => expect(isUnder(p, root)).toBe(ok));

  it("treats the Docker socket and its directories as listed-exactly only", () => {
    for (const p of ["/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run", "/var", "/", "/var/run/"]) expect(exposesDockerSocket(p)).toBe(true);
    expect(exposesDockerSocket("/var/lib")).toBe(false);
    expect(bindSourceAllowed("/var/run/docker.sock", ["/"])).toBe(false);
    expect(bindSourceAllowed("/var/run/docker.sock", ["/var/run/docker.sock"])).toBe(true);
    expect(bindSourceAllowed("/run/docker.sock", ["/var/run/docker.sock"])).toBe(false);
    expect(bindSourceAllowed("/var/lib/x", ["/"])).toBe(true);
  });

  it.each([
    ["nginx:1@sha256:x", "docker.io", "library/nginx"],
    ["acme/web@sha256:x", "docker.io", "acme/web"],
    ["ghcr.io/acme/web:1.0@sha256:x", "ghcr.io", "acme/web"],
    ["127.0.0.1:5000/gitdock-test/web@sha256:x", "127.0.0.1:5000", "gitdock-test/web"],
    ["localhost/x", "localhost", "x"],
    ["index.docker.io/library/redis", "docker.io", "library/redis"],
  ])("image %s is %s / %s", (image, registry, repoPath) => expect(imageLocation(image)).toEqual({ registry, path: repoPath }));

  it("matches registries by host and whole path components", () => {
    const at = imageLocation("ghcr.io/acme/shop/web@sha256:x");
    expect(registryAllows("*", at)).toBe(true);
    expect(registryAllows("ghcr.io", at)).toBe(true);
    expect(registryAllows("GHCR.io/acme", at)).toBe(true);
    expect(registryAllows("ghcr.io/acme/shop/", at)).toBe(true);
    expect(registryAllows("ghcr.io/ac", at)).toBe(false);
    expect(registryAllows("ghcr.io/acme/shop/web/x", at)).toBe(false);
    expect(registryAllows("docker.io", at)).toBe(false);
  });
});

describe("security config section", () => {
  it("defaults to verify off and the safe policy", () => {
    expect(securitySectionDefaults(undefined)).toEqual({
      verify: { mode: "off", allowedSigners: undefined, openpgpKeyring: undefined, allowRewind: false },
      policy: DEFAULT_POLICY,
    });
  });

  it("reads verify.allow_rewind (follow force-pushes)", () => {
    const raw = securitySectionSchema.parse({ verify: { mode: "enforce", allowed_signers: "/etc/gitdock/allowed_signers", allow_rewind: true } });
    expect(securitySectionDefaults(raw).verify.allowRewind).toBe(true);
    expect(securitySectionSchema.safeParse({ verify: { allow_rewind: "yes" } }).success).toBe(false);
  });

  it("maps the YAML keys onto the policy", () => {
    expect(
      policyFromInput({ privileged: true, host_network: true, cap_add: ["NET_ADMIN"], published_ports: [443, "8000-8999"], bind_roots: ["/data"] }),
    ).toMatchObject({
      privileged: true,
      hostNetwork: true,
      capAdd: ["NET_ADMIN"],
      publishedPorts: ["443", "8000-8999"],
      bindRoots: ["/data"],
      hostPid: false,
    });
  });

  it.each([
    [{ verify: { mode: "enforce" } }, /needs allowed_signers, openpgp_keyring or both/],
    [{ verify: { mode: "strict" } }, /Invalid option/],
    [{ verify: { allowed_signers: "relative/file" } }, /absolute path/],
    [{ policy: { bind_roots: ["data"] } }, /absolute path/],
    [{ policy: { published_ports: ["80-99999"] } }, /1-65535/],
    [{ policy: { privileged: "yes" } }, /boolean/],
    [{ policy: { unknown: true } }, /Unrecognized key/],
  ])("refuses %j", (input, message) => {
    const r = securitySectionSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join("\n")).toMatch(message);
  });
});

describe("policy files for gitdock validate --policy", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gdt-sec-policy-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it("reads a policy: mapping, filling in the defaults", async () => {
    const p = await readPolicyFile(await write("p.yaml", "policy:\n  privileged: true\n  published_ports: [80]\n"));
    expect(p).toEqual({ ...DEFAULT_POLICY, privileged: true, publishedPorts: ["80"] });
  });

  it("reads the agent's config file too", async () => {
    const p = await readPolicyFile(await write("config.yaml", "repo: x\nsecurity:\n  policy:\n    host_pid: true\n"));
    expect(p.hostPid).toBe(true);
  });

  it("names file:line:col for a bad key", async () => {
    const file = await write("bad.yaml", "policy:\n  privileged: true\n  bind_roots: [srv]\n");
    await expect(readPolicyFile(file)).rejects.toThrow(new RegExp(`${file}:3:16: policy.bind_roots.0: must be an absolute path`));
  });

  it("refuses a file without a policy", async () => {
    await expect(readPolicyFile(await write("none.yaml", "other: 1\n"))).rejects.toBeInstanceOf(ConfigInvalidError);
  });
});
