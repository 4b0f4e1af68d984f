import { describe, expect, it } from "vitest";
import type { NetworkSpec, VolumeSpec } from "../../src/model.js";
import { FILE, IMAGE, load, problems, summary } from "../fixtures/manifest/helpers.js";

function network(key: string, name: string, over: Partial<NetworkSpec> = {}): NetworkSpec {
  return { key, name, external: false, driver: undefined, driverOpts: {}, internal: false, attachable: false, labels: {}, ...over };
}

function volume(key: string, name: string, over: Partial<VolumeSpec> = {}): VolumeSpec {
  return { key, name, external: false, driver: undefined, driverOpts: {}, labels: {}, ...over };
}

const SERVICE = `services:\n  web:\n    image: ${IMAGE}\n`;

describe("manifest: top-level networks and volumes", () => {
  it("creates the implicit default network when a service uses it", () => {
    const [stack] = load(SERVICE);
    expect(stack?.networks).toEqual([network("default", "app_default")]);
  });

  it("leaves the default network out when no service joins it", () => {
    const [stack] = load(`${SERVICE}    network_mode: host\nnetworks:\n  default:\n    driver: bridge\n`);
    expect(stack?.networks).toEqual([]);
  });

  it("leaves the default network out when every service names its networks", () => {
    const [stack] = load(`${SERVICE}    networks: [front]\nnetworks:\n  front:\n`);
    expect(stack?.networks).toEqual([network("front", "app_front")]);
  });

  it("lets networks.default customize the implicit network", () => {
    const [stack] = load(`${SERVICE}networks:\n  default:\n    name: shared\n    driver: bridge\n`);
    expect(stack?.networks).toEqual([network("default", "shared", { driver: "bridge" })]);
  });

  it("normalizes every network setting, sorted by key", () => {
    const yaml = [
      `${SERVICE}    networks: [zeta, alpha, ext]`,
      "networks:",
      "  zeta:",
      "    driver: bridge",
      "    driver_opts: {com.docker.network.bridge.name: br0, mtu: 1400}",
      "    internal: true",
      "    attachable: true",
      "    labels: [team=web, tier]",
      "  alpha:",
      "    name: custom-alpha",
      "  ext:",
      "    external: true",
      "    name: proxy",
      "  unused:",
    ].join("\n");
    const [stack] = load(yaml);
    expect(stack?.networks).toEqual([
      network("alpha", "custom-alpha"),
      network("ext", "proxy", { external: true }),
      network("unused", "app_unused"),
      network("zeta", "app_zeta", {
        driver: "bridge",
        driverOpts: { "com.docker.network.bridge.name": "br0", mtu: "1400" },
        internal: true,
        attachable: true,
        labels: { team: "web", tier: "" },
      }),
    ]);
  });

  it("names an external network without name: by its key", () => {
    const [stack] = load(`${SERVICE}    networks: [proxy]\nnetworks:\n  proxy:\n    external: true\n`);
    expect(stack?.networks).toEqual([network("proxy", "proxy", { external: true })]);
  });

  it("normalizes volumes, sorted by key", () => {
    const yaml = [
      SERVICE,
      "volumes:",
      "  web-data:",
      "    driver: local",
      "    driver_opts: {type: nfs, o: 'addr=10.0.0.1'}",
      "    labels: {backup: daily}",
      "  archive:",
      "    external: true",
      "  named:",
      "    name: exact-name",
    ].join("\n");
    const [stack] = load(yaml);
    expect(stack?.volumes).toEqual([
      volume("archive", "archive", { external: true }),
      volume("named", "exact-name"),
      volume("web-data", "app_web-data", { driver: "local", driverOpts: { o: "addr=10.0.0.1", type: "nfs" }, labels: { backup: "daily" } }),
    ]);
  });

  it("accepts version: silently (obsolete in Compose)", () => {
    expect(load(`version: "3.8"\n${SERVICE}`)[0]?.project).toBe("app");
  });

  it("accepts x-* extension keys at the top level, in networks and volumes", () => {
    const yaml = `x-common: &c {a: 1}\n${SERVICE}networks:\n  n:\n    x-note: 1\nvolumes:\n  v:\n    x-note: 1\n`;
    expect(load(yaml)[0]?.volumes.map((v) => v.key)).toEqual(["v"]);
  });

  it("accepts an empty services mapping", () => {
    expect(load("services: {}\n")[0]?.services).toEqual([]);
  });
});

describe("manifest: refused top-level settings", () => {
  it.each([
    ["missing services", "name: x\n", "services", /^missing: a compose file needs a services: mapping$/],
    ["services as a list", "services: [web]\n", "services", /expected a mapping, got a list/],
    ["a service that is not a mapping", "services:\n  web: nginx\n", "services.web", /expected a mapping, got the string "nginx"/],
    // include is supported: manifest-compose-files.test.ts.
    [
      "a secret from the environment",
      `secrets:\n  s:\n    environment: TOKEN\n${SERVICE}`,
      "secrets.s.environment",
      /not supported by gitdock \(a secret comes from a file on the host/,
    ],
    ["an external config", `configs:\n  c:\n    external: true\n${SERVICE}`, "configs.c.external", /not supported by gitdock \(Swarm configs/],
    ["unknown top-level key", `service: {}\n${SERVICE}`, "service", /not supported by gitdock \(unknown key/],
    ["external network with a driver", `${SERVICE}networks:\n  n:\n    external: true\n    driver: bridge\n`, "networks.n.driver", /external/],
    ["external volume with labels", `${SERVICE}volumes:\n  v:\n    external: true\n    labels: {a: b}\n`, "volumes.v.labels", /external/],
    ["unknown network key", `${SERVICE}networks:\n  n:\n    enable_ipv4: false\n`, "networks.n.enable_ipv4", /not supported by gitdock/],
    ["network that is not a mapping", `${SERVICE}networks:\n  n: bridge\n`, "networks.n", /expected a mapping \(or nothing\)/],
    ["invalid service name", `services:\n  "web app":\n    image: ${IMAGE}\n`, 'services["web app"]', /can only contain letters, digits/],
    ["invalid network key", `${SERVICE}networks:\n  "-n":\n`, "networks.-n", /must start with a letter or digit/],
    ["a list at the top", "- a\n- b\n", "", /expected a mapping with services: at the top level/],
    ["an empty file", "", "", /the file is empty/],
    ["a comment-only file", "# nothing\n", "", /the file is empty/],
  ])("%s", (_what, yaml, path, message) => {
    const found = problems(yaml);
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, summary(found).join("\n")).toBeDefined();
    expect(match?.file).toBe(FILE);
  });
});
