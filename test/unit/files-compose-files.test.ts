import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ManifestInvalidError, type ManifestProblem } from "../../src/errors.js";
import type { RepoFileSettings } from "../../src/manifest/index.js";
import { loadManifest, type LoadedManifest } from "../../src/manifest/index.js";
import type { DesiredService, DesiredStack } from "../../src/model.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { repoTree } from "./helpers/repo-tree.js";

/**
 * Files of the repository named in a stack's other files: an override file, the files a
 * gitdock.yaml lists, a file `extends` reads and an included project. A relative path is resolved
 * as Compose resolves it: from the project directory for the stack's own files, from the extended
 * file's directory, from the included project's directory.
 */

const STORE = "/var/lib/gitdock/files";
const FILES: RepoFileSettings = { store: STORE, dataRoot: "/srv/gitdock" };
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const stored = (text: string, suffix = "") => `${STORE}/sha256/${sha(text)}${suffix}`;

function load(files: Record<string, string>, profiles: string[] = []): LoadedManifest {
  try {
    return loadManifest(repoTree("hosts/h1", files), { files: FILES, profiles });
  } catch (err) {
    if (err instanceof ManifestInvalidError) expect.fail(`unexpected problems:\n${err.message}`);
    throw err;
  }
}

function problemsOf(files: Record<string, string>): ManifestProblem[] {
  try {
    loadManifest(repoTree("hosts/h1", files), { files: FILES });
  } catch (err) {
    if (err instanceof ManifestInvalidError) return err.problems;
    throw err;
  }
  return expect.fail("expected problems, got stacks");
}

const service = (stack: DesiredStack | undefined, name: string): DesiredService => stack?.services.find((s) => s.name === name) as DesiredService;
const sources = (s: DesiredService) => s.container.mounts.map((m) => (m.type === "bind" ? m.source : m.type));
const where = (p: ManifestProblem) => `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`;

describe("files of the repository in a stack's own files: from the stack's directory", () => {
  it("resolves an override file's paths next to the compose file, and reads its modes as written there", () => {
    const { stacks } = load({
      "hosts/h1/shop/compose.yaml": `services:\n  web:\n    image: ${IMAGE}\n    volumes: ["./base.conf:/etc/base.conf:ro"]\nconfigs:\n  motd:\n    file: ./motd\n`,
      "hosts/h1/shop/compose.override.yaml":
        'services:\n  web:\n    volumes: ["./site.conf:/etc/site.conf"]\n    configs:\n      - {source: motd, mode: 0440}\n',
      "hosts/h1/shop/base.conf": "base\n",
      "hosts/h1/shop/site.conf": "site\n",
      "hosts/h1/shop/motd": "hello\n",
    });
    const web = service(stacks[0], "web");
    expect(sources(web)).toEqual([stored("base\n"), stored("site\n")]);
    expect(web.container.configs).toEqual([{ source: "motd", target: "/motd", file: stored("hello\n", ".0440") }]);
  });

  it("refuses :rw on a file of the repository at the override file's line", () => {
    const found = problemsOf({
      "hosts/h1/shop/compose.yaml": `services:\n  web:\n    image: ${IMAGE}\n`,
      "hosts/h1/shop/compose.override.yaml": "services:\n  web:\n    volumes:\n      - ./site.conf:/etc/site.conf:rw\n",
      "hosts/h1/shop/site.conf": "site\n",
    });
    expect(found.map(where)).toEqual([
      'hosts/h1/shop/compose.override.yaml:4:9 services.web.volumes[0]: "./site.conf" is a file of the repository (hosts/h1/shop/site.conf); files from Git are mounted read-only: remove ":rw" (or read_only: false)',
    ]);
  });

  it("resolves the paths of every file a gitdock.yaml lists from the stack's directory, as docker compose -f does from the project directory", () => {
    const { stacks } = load({
      "hosts/h1/wiki/gitdock.yaml": "files: [docker-compose.yml, ../common/prod.yml]\n",
      "hosts/h1/wiki/docker-compose.yml": `services:\n  wiki:\n    image: ${IMAGE}\n`,
      "hosts/h1/common/prod.yml": 'services:\n  wiki:\n    volumes: ["./wiki.conf:/etc/wiki.conf:ro", "./uploads:/uploads"]\n    env_file: ./prod.env\n',
      "hosts/h1/wiki/wiki.conf": "wiki\n",
      "hosts/h1/wiki/prod.env": "MODE=prod\n",
    });
    const wiki = service(stacks[0], "wiki");
    expect(sources(wiki)).toEqual([stored("wiki\n"), "/srv/gitdock/wiki/uploads"]);
    expect(wiki.envFiles).toEqual([{ repoPath: "hosts/h1/wiki/prod.env", values: { MODE: "prod" } }]);
  });
});

describe("files of the repository in an extended file: from that file's directory", () => {
  const base = [
    "services:",
    "  base:",
    `    image: ${IMAGE}`,
    '    volumes: ["./tls.conf:/etc/tls.conf:ro"]',
    "    env_file: ./base.env",
    "    configs:",
    "      - {source: ca, mode: 0440}",
  ].join("\n");

  it("mounts the extended file's neighbours, and the extending file's own paths from the stack's directory", () => {
    const { stacks } = load({
      "hosts/h1/shop/compose.yaml": `services:\n  web:\n    extends: {service: base, file: ../common/base.yaml}\n    volumes: ["./site.conf:/etc/site.conf:ro"]\nconfigs:\n  ca:\n    file: ./ca.pem\n`,
      "hosts/h1/common/base.yaml": `${base}\n`,
      "hosts/h1/common/tls.conf": "tls\n",
      "hosts/h1/common/base.env": "A=1\n",
      "hosts/h1/shop/site.conf": "site\n",
      "hosts/h1/shop/ca.pem": "ca\n",
    });
    const web = service(stacks[0], "web");
    expect(sources(web)).toEqual([stored("tls\n"), stored("site\n")]);
    expect(web.envFiles).toEqual([{ repoPath: "hosts/h1/common/base.env", values: { A: "1" } }]);
    // The config is the stack's (declared next to the compose file); its mode was written in the extended file.
    expect(web.container.configs).toEqual([{ source: "ca", target: "/ca", file: stored("ca\n", ".0440") }]);
  });

  it("reports what is wrong with the extended file's paths at its lines; a data directory must still lie in the stack's directory", () => {
    const found = problemsOf({
      "hosts/h1/shop/compose.yaml": "services:\n  web:\n    extends: {service: base, file: ../common/base.yaml}\n",
      "hosts/h1/common/base.yaml": `services:\n  base:\n    image: ${IMAGE}\n    volumes:\n      - ./cache:/cache\n      - ./tls.conf:/etc/tls.conf:rw\n`,
      "hosts/h1/common/tls.conf": "tls\n",
    });
    expect(found.map(where)).toEqual([
      'hosts/h1/common/base.yaml:5:9 services.base.volumes[0]: "./cache" is not in the repository, so it would be a data directory, and a data directory must lie inside the stack\'s directory (hosts/h1/shop) (used by service web)',
      'hosts/h1/common/base.yaml:6:9 services.base.volumes[1]: "./tls.conf" is a file of the repository (hosts/h1/common/tls.conf); files from Git are mounted read-only: remove ":rw" (or read_only: false) (used by service web)',
    ]);
  });
});

describe("files of the repository in an included project: from the project's directory", () => {
  const included = [
    "services:",
    "  prom:",
    `    image: ${IMAGE}`,
    '    volumes: ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro", "./data:/prometheus"]',
    "    configs: [rules]",
    "configs:",
    "  rules:",
    "    file: ./rules.yml",
  ].join("\n");

  it("mounts the included project's files, and gives its data directory a place inside the stack's", () => {
    const { stacks } = load({
      "hosts/h1/shop/compose.yaml": `include: [monitoring/compose.yaml]\nservices:\n  web:\n    image: ${IMAGE}\n    volumes: ["./data:/data"]\n`,
      "hosts/h1/shop/monitoring/compose.yaml": `${included}\n`,
      "hosts/h1/shop/monitoring/prometheus.yml": "scrape_configs: []\n",
      "hosts/h1/shop/monitoring/rules.yml": "groups: []\n",
    });
    const prom = service(stacks[0], "prom");
    expect(sources(prom)).toEqual([stored("scrape_configs: []\n"), "/srv/gitdock/shop/monitoring/data"]);
    expect(prom.container.configs).toEqual([{ source: "rules", target: "/rules", file: stored("groups: []\n") }]);
    expect(sources(service(stacks[0], "web"))).toEqual(["/srv/gitdock/shop/data"]);
  });

  it("refuses a plain-text secret the included project commits, at its line", () => {
    const found = problemsOf({
      "hosts/h1/shop/compose.yaml": `include: [monitoring/compose.yaml]\nservices:\n  web:\n    image: ${IMAGE}\n`,
      "hosts/h1/shop/monitoring/compose.yaml": `services:\n  prom:\n    image: ${IMAGE}\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n`,
      "hosts/h1/shop/monitoring/token.txt": "hunter2\n",
    });
    expect(found.map(where)).toEqual([
      'hosts/h1/shop/monitoring/compose.yaml:7:11 secrets.token.file: "./token.txt" is a file committed to the repository (hosts/h1/shop/monitoring/token.txt) in plain text: a secret must never be in Git unencrypted; rotate it, then encrypt it for each host (`sops --encrypt --age <host recipient> --in-place hosts/h1/shop/monitoring/token.txt`, or `age -r <host recipient> -o hosts/h1/shop/monitoring/token.txt.age` and name that file), or keep it on the host under the policy\'s secret_roots and write its absolute path',
    ]);
  });
});

describe("files of the repository and the rest of the load", () => {
  it("keeps only the store objects of services whose profiles are active", () => {
    const files = {
      "hosts/h1/shop/compose.yaml": `services:\n  web:\n    image: ${IMAGE}\n    volumes: ["./web.conf:/web.conf:ro"]\n  debug:\n    image: ${IMAGE}\n    profiles: [debug]\n    volumes: ["./debug.conf:/debug.conf:ro"]\n`,
      "hosts/h1/shop/web.conf": "web\n",
      "hosts/h1/shop/debug.conf": "debug\n",
    };
    const names = (stack: DesiredStack | undefined) => (stack?.storeObjects ?? []).map((o) => o.name);
    expect(names(load(files).stacks[0])).toEqual([`sha256/${sha("web\n")}`]);
    expect(names(load(files, ["debug"]).stacks[0])).toEqual([`sha256/${sha("debug\n")}`, `sha256/${sha("web\n")}`].sort());
  });

  it("counts a Compose-looking file a stack mounts as part of the stack, not as a file left undeployed", () => {
    const monitoring = `services:\n  agent:\n    image: ${IMAGE}\n`;
    const base = { "hosts/h1/shop/docker-compose.monitoring.yml": monitoring };
    const mounted = load({
      ...base,
      "hosts/h1/shop/compose.yaml": `services:\n  web:\n    image: ${IMAGE}\n    volumes: ["./docker-compose.monitoring.yml:/srv/template.yml:ro"]\n`,
    });
    expect(mounted.notes).toEqual([]);
    const idle = load({ ...base, "hosts/h1/shop/compose.yaml": `services:\n  web:\n    image: ${IMAGE}\n` });
    expect(idle.notes.map((n) => n.file)).toEqual(["hosts/h1/shop/docker-compose.monitoring.yml"]);
  });
});
