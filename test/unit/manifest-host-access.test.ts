import { describe, expect, it } from "vitest";
import { FILE, IMAGE, load, problems, summary, web, webFile } from "../fixtures/manifest/helpers.js";

/** Keys that reach into the host: the manifest accepts them so the host policy can decide. */
describe("manifest: pid, ipc and devices", () => {
  it.each([
    ["pid: host", "pid: host", { pidMode: "host" }],
    ["ipc: host", "ipc: host", { ipcMode: "host" }],
    ["ipc: shareable", "ipc: shareable", { ipcMode: "shareable" }],
    [
      "devices, short and full",
      'devices: ["/dev/ttyUSB0", "/dev/sda:/dev/xvda:r"]',
      {
        devices: [
          { source: "/dev/ttyUSB0", target: "/dev/ttyUSB0", permissions: "rwm" },
          { source: "/dev/sda", target: "/dev/xvda", permissions: "r" },
        ],
      },
    ],
  ])("%s", (_what, body, expected) => {
    expect(web(body).container).toMatchObject(expected);
  });

  it("leaves the keys out of the spec when unused, so older specs hash the same", () => {
    const c = web("ipc: private").container;
    expect(Object.keys(c)).not.toContain("pidMode");
    expect(Object.keys(c)).not.toContain("ipcMode");
    expect(Object.keys(c)).not.toContain("devices");
    expect(Object.keys(web("").container)).toEqual(Object.keys(c));
  });

  it("resolves pid: service:<name> against the file's services", () => {
    const file = `services:\n  web:\n    image: ${IMAGE}\n    pid: service:db\n  db:\n    image: ${IMAGE}\n`;
    expect(load(file)[0]?.services.find((s) => s.name === "web")?.container.pidMode).toBe("service:db");
  });

  it.each([
    ["pid: private", "pid: private", "services.web.pid", /expected "host", "service:<name>" or "container:<name>"/],
    ["ipc: bogus", "ipc: bogus", "services.web.ipc", /expected "host", "private"/],
    ["pid of an unknown service", "pid: service:nope", "services.web.pid", /service "nope" is not defined/],
    ["ipc of itself", "ipc: service:web", "services.web.ipc", /cannot share its own IPC namespace/],
    ["a relative device", "devices: [ttyUSB0]", "services.web.devices[0]", /absolute host path/],
    ["device permissions", 'devices: ["/dev/a:/dev/a:rwx"]', "services.web.devices[0]", /permissions "rwx"/],
    ["devices as a string", "devices: /dev/a", "services.web.devices", /expected a list/],
  ])("refuses %s", (_what, body, path, message) => {
    const found = problems(webFile(body));
    expect(
      found.find((p) => p.path === path && message.test(p.message)),
      summary(found).join("\n"),
    ).toBeDefined();
  });
});

describe("manifest: secrets", () => {
  const TOP = "secrets:\n  db_password:\n    file: /etc/gitdock/secrets/db\n  api:\n    file: /etc/gitdock/secrets/api";

  it("declares file secrets on the stack and resolves each service's mounts", () => {
    const stack = load(webFile("secrets:\n  - db_password\n  - {source: api, target: api_token}", TOP))[0];
    expect(stack?.secrets).toEqual([
      { key: "api", file: "/etc/gitdock/secrets/api" },
      { key: "db_password", file: "/etc/gitdock/secrets/db" },
    ]);
    expect(stack?.services[0]?.secrets).toEqual([
      { source: "api", target: "api_token", file: "/etc/gitdock/secrets/api" },
      { source: "db_password", target: "db_password", file: "/etc/gitdock/secrets/db" },
    ]);
  });

  it("leaves secrets out of stacks and services that have none", () => {
    const stack = load(webFile(""))[0];
    expect(Object.keys(stack ?? {})).not.toContain("secrets");
    expect(Object.keys(stack?.services[0] ?? {})).not.toContain("secrets");
  });

  it.each([
    ["an undeclared secret", "secrets: [nope]", TOP, "services.web.secrets[0]", /secret "nope" is not declared/],
    ["a relative file", "", "secrets:\n  s:\n    file: ./s.txt", "secrets.s.file", /relative path "\.\/s\.txt" is not supported/],
    ["a secret without file", "", "secrets:\n  s: {}", "secrets.s.file", /missing|expected/],
    ["content in Git", "", "secrets:\n  s:\n    content: hunter2", "secrets.s.content", /the value would be in Git/],
    ["an external secret", "", "secrets:\n  s:\n    external: true", "secrets.s.external", /Swarm secrets/],
    [
      "a target with a slash",
      "secrets: [{source: api, target: ../etc/x}]",
      TOP,
      "services.web.secrets[0].target",
      /file name under \/run\/secrets .* or an absolute path/,
    ],
    ["a bad secret key", "", 'secrets:\n  "../x":\n    file: /etc/gitdock/secrets/x', 'secrets["../x"]', /can only contain letters/],
    [
      "two secrets on one target",
      "secrets: [api, {source: db_password, target: api}]",
      TOP,
      "services.web.secrets[1]",
      /already mounted at \/run\/secrets\/api/,
    ],
  ])("refuses %s", (_what, body, top, path, message) => {
    const found = problems(webFile(body, top));
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, summary(found).join("\n")).toBeDefined();
    expect(match?.file).toBe(FILE);
  });
});
