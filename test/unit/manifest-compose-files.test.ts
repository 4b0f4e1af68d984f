/**
 * A stack made of more than one file: the override file next to the compose file, a gitdock.yaml
 * naming the files, `extends`, `include`, `!reset`/`!override`, and the directories whose Compose
 * files no stack deploys. Problems keep the file:line:col where their text was written.
 */
import { describe, expect, it } from "vitest";
import type { DesiredService } from "../../src/model.js";
import { IMAGE, loadTree, repoTree, treeProblems } from "../fixtures/manifest/helpers.js";

const ROOT = "hosts/web-1";
const DIR = `${ROOT}/shop`;

function svc(stacks: { services: DesiredService[] }[], name: string): DesiredService {
  const found = stacks.flatMap((s) => s.services).find((s) => s.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

const BASE = `services:
  web:
    image: ${IMAGE}
    command: [nginx, -g, "daemon off;"]
    environment:
      MODE: production
      LOG: info
    ports:
      - "8080:80"
    volumes:
      - /srv/shop/static:/usr/share/nginx/html:ro
    labels: [tier=front]
`;

describe("manifest: override files", () => {
  it.each(["compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"])(
    "merges %s over the compose file by Compose's rules",
    (name) => {
      const override = `services:
  web:
    command: [nginx-debug, -g, "daemon off;"]
    environment:
      LOG: debug
    ports:
      - "8443:443"
    volumes:
      - /srv/shop/static-v2:/usr/share/nginx/html:ro
    labels: {owner: ops}
`;
      const { stacks } = loadTree(repoTree({ [`${DIR}/compose.yaml`]: BASE, [`${DIR}/${name}`]: override }, ROOT));
      const web = svc(stacks, "web");
      expect(web.container.command).toEqual(["nginx-debug", "-g", "daemon off;"]);
      expect(web.container.environment).toEqual({ LOG: "debug", MODE: "production" });
      expect(web.container.ports.map((p) => `${p.published}:${p.target}`)).toEqual(["8080:80", "8443:443"]);
      expect(web.container.mounts.map((m) => (m.type === "bind" ? m.source : ""))).toEqual(["/srv/shop/static-v2"]);
      expect(web.container.labels).toEqual({ owner: "ops", tier: "front" });
      expect(stacks[0]?.file).toBe(`${DIR}/compose.yaml`);
    },
  );

  it("adds services the override file defines", () => {
    const override = `services:\n  cache:\n    image: ${IMAGE}\n`;
    const { stacks } = loadTree(repoTree({ [`${DIR}/compose.yaml`]: BASE, [`${DIR}/compose.override.yaml`]: override }, ROOT));
    expect(stacks[0]?.services.map((s) => s.name)).toEqual(["cache", "web"]);
  });

  it("removes with !reset and replaces with !override", () => {
    const override = `services:
  web:
    ports: !override
      - "9090:80"
    environment:
      LOG: !reset null
    labels: !reset []
`;
    const { stacks } = loadTree(repoTree({ [`${DIR}/compose.yaml`]: BASE, [`${DIR}/compose.override.yaml`]: override }, ROOT));
    const web = svc(stacks, "web");
    expect(web.container.ports.map((p) => `${p.published}:${p.target}`)).toEqual(["9090:80"]);
    expect(web.container.environment).toEqual({ MODE: "production" });
    expect(web.container.labels).toEqual({});
  });

  it("reports a problem the override file wrote at its own file:line:col", () => {
    const override = `services:\n  web:\n    restart: sometimes\n    ports:\n      - "http"\n`;
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: BASE, [`${DIR}/compose.override.yaml`]: override }, ROOT));
    expect(found).toEqual([
      expect.objectContaining({ file: `${DIR}/compose.override.yaml`, line: 3, col: 14, path: "services.web.restart" }),
      expect.objectContaining({ file: `${DIR}/compose.override.yaml`, line: 5, col: 9, path: "services.web.ports[0]" }),
    ]);
  });

  it("reports a missing key at the service in the compose file, and a mapping merged into a list", () => {
    const base = `services:\n  web:\n    command: [a]\n    ports: ["80:80"]\n`;
    const override = `services:\n  web:\n    ports: {a: b}\n`;
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: base, [`${DIR}/compose.override.yaml`]: override }, ROOT));
    expect(found).toContainEqual(
      expect.objectContaining({ file: `${DIR}/compose.yaml`, line: 2, path: "services.web.image", message: expect.stringMatching(/^missing/) }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        file: `${DIR}/compose.override.yaml`,
        line: 3,
        col: 12,
        message: expect.stringMatching(/cannot merge a mapping into a list .*!override/),
      }),
    );
  });

  it("refuses two override files in one directory", () => {
    const files = {
      [`${DIR}/compose.yaml`]: BASE,
      [`${DIR}/compose.override.yaml`]: "services: {}\n",
      [`${DIR}/docker-compose.override.yml`]: "services: {}\n",
    };
    expect(treeProblems(repoTree(files, ROOT)).map((p) => [p.file, p.message.slice(0, 24)])).toEqual([
      [`${DIR}/compose.override.yaml`, "ambiguous override file:"],
      [`${DIR}/docker-compose.override.yml`, "ambiguous override file:"],
    ]);
  });
});

describe("manifest: gitdock.yaml names a stack's files", () => {
  const prod = `services:\n  web:\n    environment: {MODE: prod}\n    deploy: {replicas: 3}\n`;

  it("merges the listed files in order; the first names the stack", () => {
    const files = {
      [`${DIR}/docker-compose.yml`]: BASE,
      [`${DIR}/docker-compose.prod.yml`]: prod,
      [`${DIR}/gitdock.yaml`]: "files: [docker-compose.yml, docker-compose.prod.yml]\n",
    };
    const { stacks, notes } = loadTree(repoTree(files, ROOT));
    expect(stacks[0]?.file).toBe(`${DIR}/docker-compose.yml`);
    expect(stacks[0]?.project).toBe("shop");
    expect(svc(stacks, "web").replicas).toBe(3);
    expect(svc(stacks, "web").container.environment["MODE"]).toBe("prod");
    expect(notes).toEqual([]);
  });

  it("does not add the override file on its own when an index names the files", () => {
    const files = {
      [`${DIR}/compose.yaml`]: BASE,
      [`${DIR}/compose.override.yaml`]: `services:\n  web:\n    environment: {MODE: dev}\n`,
      [`${DIR}/gitdock.yaml`]: "files: [compose.yaml]\n",
    };
    const { stacks, notes } = loadTree(repoTree(files, ROOT));
    expect(svc(stacks, "web").container.environment["MODE"]).toBe("production");
    expect(notes).toEqual([
      expect.objectContaining({ file: `${DIR}/compose.override.yaml`, message: expect.stringMatching(/not part of the stack .* not deployed/) }),
    ]);
  });

  it.each([
    ["an empty list", "files: []\n", "files", /list at least one Compose file/],
    ["a file that is not there", "files: [compose.yaml, nope.yml]\n", "files[1]", /hosts\/web-1\/shop\/nope.yml does not exist/],
    [
      "a file outside the host's directory",
      "files: [../../other/compose.yaml]\n",
      "files[0]",
      /leads outside this host's directory of the repository \(hosts\/web-1\)/,
    ],
    ["an unknown key", "files: [compose.yaml]\nenv: x\n", "env", /not supported by gitdock/],
  ])("refuses %s, located in the index", (_what, index, path, message) => {
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: BASE, [`${DIR}/gitdock.yaml`]: index, "other/compose.yaml": BASE }, ROOT));
    expect(found).toContainEqual(expect.objectContaining({ file: `${DIR}/gitdock.yaml`, path, message: expect.stringMatching(message) }));
  });
});

describe("manifest: a directory with Compose files but no stack", () => {
  it("is an error naming the file and how to deploy it", () => {
    const found = treeProblems(repoTree({ [`${DIR}/docker-compose.prod.yml`]: BASE, [`${ROOT}/blog/compose.yaml`]: BASE }, ROOT));
    expect(found).toEqual([
      {
        file: `${DIR}/docker-compose.prod.yml`,
        line: 1,
        col: 1,
        path: "",
        message: `no stack in ${DIR}: docker-compose.prod.yml is not a file gitdock deploys (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml); to deploy it, list it in ${DIR}/gitdock.yaml (files: [docker-compose.prod.yml]) or rename it`,
      },
    ]);
  });

  it("judges a YAML file by its services: mapping when its name does not say compose", () => {
    expect(treeProblems(repoTree({ [`${DIR}/production.yml`]: BASE }, ROOT))).toEqual([
      expect.objectContaining({ file: `${DIR}/production.yml`, message: expect.stringMatching(/^no stack in/) }),
    ]);
  });

  it("leaves configuration files, hidden directories and files stacks read alone", () => {
    const files = {
      [`${DIR}/compose.yaml`]: `services:\n  web:\n    extends: {file: ../common/base.yml, service: nginx}\n`,
      [`${ROOT}/common/base.yml`]: `services:\n  nginx:\n    image: ${IMAGE}\n`,
      [`${ROOT}/prometheus/prometheus.yml`]: "global:\n  scrape_interval: 15s\n",
      [`${ROOT}/.github/workflows/ci.yml`]: "services:\n  db: {image: postgres}\n",
    };
    expect(loadTree(repoTree(files, ROOT)).stacks.map((s) => s.project)).toEqual(["shop"]);
  });
});

describe("manifest: extends", () => {
  const common = `services:
  nginx:
    image: ${IMAGE}
    restart: unless-stopped
    environment: {TZ: UTC, PORT: "80"}
    healthcheck:
      test: [CMD, curl, -f, http://localhost]
      interval: 30s
`;

  it("takes a service from another file and merges the service's own settings over it", () => {
    const compose = `services:
  web:
    extends:
      file: ../common/base.yml
      service: nginx
    environment: {PORT: "8080"}
  api:
    extends: web
    command: [api]
`;
    const { stacks } = loadTree(repoTree({ [`${DIR}/compose.yaml`]: compose, [`${ROOT}/common/base.yml`]: common }, ROOT));
    expect(svc(stacks, "web").container).toMatchObject({ image: IMAGE, restart: "unless-stopped", environment: { PORT: "8080", TZ: "UTC" } });
    expect(svc(stacks, "api").container).toMatchObject({ image: IMAGE, command: ["api"], environment: { PORT: "8080", TZ: "UTC" } });
    expect(stacks[0]?.services.map((s) => s.name)).toEqual(["api", "web"]);
  });

  it("reports a problem in the extended service at its file, naming the service that uses it", () => {
    const broken = common.replace("restart: unless-stopped", "restart: sometimes");
    const compose = `services:\n  web:\n    extends: {file: ../common/base.yml, service: nginx}\n`;
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: compose, [`${ROOT}/common/base.yml`]: broken }, ROOT));
    expect(found).toEqual([
      expect.objectContaining({
        file: `${ROOT}/common/base.yml`,
        line: 4,
        col: 14,
        path: "services.nginx.restart",
        message: expect.stringMatching(/\(used by service web\)$/),
      }),
    ]);
  });

  it.each([
    ["a cycle", "services:\n  a: {extends: b}\n  b: {extends: a}\n", /extends forms a cycle: a \(.*\) -> b \(.*\) -> a/],
    ["a missing service", "services:\n  a: {extends: nope}\n", /service "nope" is not defined in hosts\/web-1\/shop\/compose.yaml/],
    ["a missing file", "services:\n  a: {extends: {file: nope.yml, service: x}}\n", /hosts\/web-1\/shop\/nope.yml does not exist/],
    [
      "a file outside the host's directory",
      "services:\n  a: {extends: {file: ../../x.yml, service: x}}\n",
      /leads outside this host's directory of the repository \(hosts\/web-1\)/,
    ],
    ["an absolute file", "services:\n  a: {extends: {file: /etc/passwd, service: x}}\n", /not a relative path inside the repository/],
  ])("refuses %s", (_what, compose, message) => {
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: compose, "x.yml": common }, ROOT));
    expect(found).toContainEqual(expect.objectContaining({ file: `${DIR}/compose.yaml`, message: expect.stringMatching(message) }));
  });
});

describe("manifest: include", () => {
  const exporter = `services:
  node-exporter:
    image: ${IMAGE}
    environment: {COLLECTORS: "\${COLLECTORS}"}
networks:
  metrics: {}
`;

  it("adds an included project's services and networks, with its own .env under the stack's", () => {
    const compose = `include:\n  - exporters/compose.yaml\nservices:\n  prometheus:\n    image: ${IMAGE}\n    networks: [metrics]\n`;
    const files = {
      [`${ROOT}/monitoring/compose.yaml`]: compose,
      [`${ROOT}/monitoring/exporters/compose.yaml`]: exporter,
      [`${ROOT}/monitoring/exporters/.env`]: "COLLECTORS=cpu\n",
    };
    const { stacks } = loadTree(repoTree(files, ROOT));
    expect(stacks.map((s) => [s.project, s.services.map((x) => x.name), s.networks.map((n) => n.key)])).toEqual([
      ["monitoring", ["node-exporter", "prometheus"], ["default", "metrics"]],
    ]);
    expect(svc(stacks, "node-exporter").container.environment).toEqual({ COLLECTORS: "cpu" });
  });

  it("lets the stack's own .env win over the included project's", () => {
    const files = {
      [`${ROOT}/monitoring/compose.yaml`]: "include: [exporters/compose.yaml]\nservices: {}\n",
      [`${ROOT}/monitoring/.env`]: "COLLECTORS=all\n",
      [`${ROOT}/monitoring/exporters/compose.yaml`]: exporter,
      [`${ROOT}/monitoring/exporters/.env`]: "COLLECTORS=cpu\n",
    };
    expect(svc(loadTree(repoTree(files, ROOT)).stacks, "node-exporter").container.environment).toEqual({ COLLECTORS: "all" });
  });

  it("reports a problem in an included file at that file", () => {
    const files = {
      [`${ROOT}/monitoring/compose.yaml`]: "include: [exporters/compose.yaml]\nservices: {}\n",
      [`${ROOT}/monitoring/exporters/compose.yaml`]: exporter.replace("environment", "restart: sometimes\n    environment"),
      [`${ROOT}/monitoring/exporters/.env`]: "COLLECTORS=cpu\n",
    };
    expect(treeProblems(repoTree(files, ROOT))).toEqual([
      expect.objectContaining({ file: `${ROOT}/monitoring/exporters/compose.yaml`, line: 4, col: 14, path: "services.node-exporter.restart" }),
    ]);
  });

  it.each([
    [
      "a name both define",
      `include: [exporters/compose.yaml]\nservices:\n  node-exporter: {image: "${IMAGE}"}\n`,
      /service "node-exporter" from .* is also defined in .*monitoring\/compose.yaml; Compose does not merge included resources/,
    ],
    [
      "a file outside the host's directory",
      "include: [../../elsewhere.yaml]\nservices: {}\n",
      /leads outside this host's directory of the repository \(hosts\/web-1\)/,
    ],
    ["a missing file", "include: [nope.yaml]\nservices: {}\n", /nope.yaml does not exist/],
    ["a cycle", "include: [exporters/loop.yaml]\nservices: {}\n", /include forms a cycle/],
    [
      "project_directory",
      "include:\n  - path: exporters/compose.yaml\n    project_directory: ..\nservices: {}\n",
      /project_directory.*|not supported by gitdock/,
    ],
  ])("refuses %s", (_what, compose, message) => {
    const files = {
      [`${ROOT}/monitoring/compose.yaml`]: compose,
      [`${ROOT}/monitoring/exporters/compose.yaml`]: exporter,
      [`${ROOT}/monitoring/exporters/.env`]: "COLLECTORS=cpu\n",
      [`${ROOT}/monitoring/exporters/loop.yaml`]: "include: [../compose.yaml]\nservices: {}\n",
      "elsewhere.yaml": exporter,
    };
    expect(treeProblems(repoTree(files, ROOT))).toContainEqual(expect.objectContaining({ message: expect.stringMatching(message) }));
  });
});

describe("manifest: merging that multiplies the document", () => {
  it("refuses a chain of services that each extend the one before, once it places too many values", () => {
    const services = Array.from({ length: 3000 }, (_, i) =>
      i === 0 ? `  s0:\n    image: ${IMAGE}\n    cap_add: [C0]` : `  s${i}:\n    extends: s${i - 1}\n    cap_add: [C${i}]`,
    );
    const found = treeProblems(repoTree({ [`${DIR}/compose.yaml`]: `services:\n${services.join("\n")}\n` }, ROOT));
    expect(found).toEqual([
      expect.objectContaining({
        file: `${DIR}/compose.yaml`,
        line: 1,
        col: 1,
        message: expect.stringMatching(/expand to more than 2000000 values once merged/),
      }),
    ]);
  }, 60_000);
});
