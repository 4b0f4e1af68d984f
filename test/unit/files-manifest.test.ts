import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ManifestInvalidError, type ManifestProblem } from "../../src/errors.js";
import type { RepoFileSettings } from "../../src/manifest/index.js";
import { MAX_STORED_BYTES_PER_COMMIT, MAX_STORED_FILE_BYTES } from "../../src/manifest/index.js";
import { loadManifest } from "../../src/manifest/index.js";
import type { RepoTree } from "../../src/manifest/repo-tree.js";
import type { DesiredService, DesiredStack, StoreObject } from "../../src/model.js";
import { IMAGE, indent, summary } from "../fixtures/manifest/helpers.js";
import { repoTree } from "./helpers/repo-tree.js";

const STORE = "/var/lib/gitdock/files";
const FILES: RepoFileSettings = { store: STORE, dataRoot: "/srv/gitdock" };
const STACK = "hosts/h1/shop/compose.yaml";
const sha = (text: string | Uint8Array) => createHash("sha256").update(text).digest("hex");

/** A stack `shop` (its directory hosts/h1/shop) with service `web` whose other keys are `body`, plus other files of the tree. */
function compose(body: string, top = ""): string {
  return `name: shop\nservices:\n  web:\n    image: ${IMAGE}\n${indent(body, 4)}\n${top}\n`;
}

function load(
  body: string,
  files: Record<string, string | Uint8Array> = {},
  opts: { top?: string; exec?: string[]; settings?: RepoFileSettings } = {},
): DesiredStack {
  const tree = repoTree("hosts/h1", { [STACK]: compose(body, opts.top), ...files }, opts.exec);
  return loadFrom(tree, [STACK], opts.settings)[0] as DesiredStack;
}

/** Every stack of `tree` (each of `stackFiles` is one), loaded as a host with `settings` loads them. */
function loadFrom(tree: RepoTree, stackFiles: string[], settings = FILES): DesiredStack[] {
  try {
    const stacks = loadManifest(tree, { files: settings }).stacks;
    expect(stacks.map((s) => s.file)).toEqual([...stackFiles].sort());
    return stacks;
  } catch (err) {
    if (err instanceof ManifestInvalidError) expect.fail(`unexpected problems:\n${err.message}`);
    throw err;
  }
}

function problemsOf(body: string, files: Record<string, string | Uint8Array> = {}, top = ""): ManifestProblem[] {
  const tree = repoTree("hosts/h1", { [STACK]: compose(body, top), ...files });
  try {
    loadManifest(tree, { files: FILES });
  } catch (err) {
    if (err instanceof ManifestInvalidError) return err.problems;
    throw err;
  }
  return expect.fail("expected problems, got stacks");
}

const web = (stack: DesiredStack): DesiredService => stack.services.find((s) => s.name === "web") as DesiredService;

describe("relative bind sources: files of the repository", () => {
  it("mounts a file of the tree read-only from the store, named by its content", () => {
    const stack = load('volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro"]', { "hosts/h1/shop/nginx.conf": "worker_processes 1;\n" });
    const digest = sha("worker_processes 1;\n");
    expect(web(stack).container.mounts).toEqual([
      { type: "bind", source: `${STORE}/sha256/${digest}`, target: "/etc/nginx/nginx.conf", readOnly: true, createHostPath: false },
    ]);
    expect(stack.storeObjects).toEqual([
      {
        kind: "file",
        store: STORE,
        name: `sha256/${digest}`,
        file: { content: Buffer.from("worker_processes 1;\n"), mode: 0o444, uid: undefined, gid: undefined },
      },
    ]);
  });

  it("mounts it read-only when no mode is written, as the long syntax does without read_only", () => {
    const files = { "hosts/h1/shop/nginx.conf": "x" };
    const short = web(load('volumes: ["./nginx.conf:/etc/nginx.conf"]', files)).container.mounts[0];
    const long = web(load("volumes: [{type: bind, source: ./nginx.conf, target: /etc/nginx.conf}]", files)).container.mounts[0];
    expect(short).toMatchObject({ type: "bind", readOnly: true, source: `${STORE}/sha256/${sha("x")}` });
    expect(long).toEqual(short);
  });

  it("refuses a read-write mount of a file from Git, at the mount", () => {
    const files = { "hosts/h1/shop/nginx.conf": "x", "hosts/h1/shop/conf/a.conf": "a" };
    expect(summary(problemsOf('volumes: ["./nginx.conf:/etc/nginx.conf:rw"]', files))).toEqual([
      'services.web.volumes[0]: "./nginx.conf" is a file of the repository (hosts/h1/shop/nginx.conf); files from Git are mounted read-only: remove ":rw" (or read_only: false)',
    ]);
    const long = problemsOf("volumes: [{type: bind, source: ./conf, target: /conf, read_only: false}]", files);
    expect(summary(long)).toEqual([expect.stringMatching(/^services\.web\.volumes\[0\]\.source: "\.\/conf" is a directory of the repository .* read-only/)]);
    expect(long[0]).toMatchObject({ file: STACK, line: 5, col: 36 });
  });

  it("stores a directory whole, keeping Git's executable bit, as one object named by its listing", () => {
    const files = {
      "hosts/h1/shop/conf.d/default.conf": "server {}\n",
      "hosts/h1/shop/conf.d/snippets/gzip.conf": "gzip on;\n",
      "hosts/h1/shop/init.sh": "#!/bin/sh\n",
    };
    const stack = load('volumes: ["./conf.d:/etc/nginx/conf.d:ro", "./init.sh:/docker-entrypoint.d/10-init.sh:ro"]', files, {
      exec: ["hosts/h1/shop/init.sh"],
    });
    const [dir, script] = web(stack).container.mounts;
    expect(dir).toMatchObject({ type: "bind", source: expect.stringMatching(new RegExp(`^${STORE}/trees/[0-9a-f]{64}$`)), readOnly: true });
    expect(script).toMatchObject({ source: `${STORE}/sha256/${sha("#!/bin/sh\n")}.0555` });
    const tree = stack.storeObjects?.find((o) => o.kind === "tree") as Extract<StoreObject, { kind: "tree" }>;
    expect(tree.files.map((f) => [f.path, f.file.mode])).toEqual([
      ["default.conf", 0o444],
      ["snippets/gzip.conf", 0o444],
    ]);
    expect(tree.dirs).toEqual(["snippets"]);
  });

  it("relabels a file of the repository shared for SELinux (it may be shared), a data directory as written", () => {
    const mounts = web(
      load('volumes: ["./nginx.conf:/etc/nginx.conf:Z", "./data:/data:Z", {type: bind, source: ./db, target: /db, bind: {selinux: z}}]', {
        "hosts/h1/shop/nginx.conf": "x",
      }),
    ).container.mounts;
    expect(mounts).toEqual([
      { type: "bind", source: `${STORE}/sha256/${sha("x")}`, target: "/etc/nginx.conf", readOnly: true, createHostPath: false, selinux: "z" },
      { type: "bind", source: "/srv/gitdock/shop/data", target: "/data", readOnly: false, createHostPath: true, selinux: "Z" },
      { type: "bind", source: "/srv/gitdock/shop/db", target: "/db", readOnly: false, createHostPath: true, selinux: "z" },
    ]);
  });

  it("gives two files with the same content one object, and a changed file a new one", () => {
    const same = load('volumes: ["./a.conf:/a:ro", "../common/a.conf:/b:ro"]', { "hosts/h1/shop/a.conf": "same", "hosts/h1/common/a.conf": "same" });
    expect(new Set(web(same).container.mounts.map((m) => (m.type === "bind" ? m.source : "")))).toEqual(new Set([`${STORE}/sha256/${sha("same")}`]));
    expect(same.storeObjects).toHaveLength(1);
    const changed = load('volumes: ["./a.conf:/a:ro"]', { "hosts/h1/shop/a.conf": "changed" });
    expect(web(changed).container.mounts[0]).toMatchObject({ source: `${STORE}/sha256/${sha("changed")}` });
  });

  it("refuses paths that lead outside the host's directory", () => {
    expect(summary(problemsOf('volumes: ["../../h2/app/secret.env:/x:ro"]', { "hosts/h2/app/secret.env": "A=1" }))).toEqual([
      'services.web.volumes[0]: "../../h2/app/secret.env" leads outside this host\'s directory of the repository (hosts/h1); files from the repository must lie inside it',
    ]);
  });
});

describe("relative bind sources: data directories", () => {
  it("maps a path absent from the tree to the project's directory under the data root, read-write unless written", () => {
    const mounts = web(
      load('volumes: ["./data:/var/lib/data", "./media/cache:/cache:ro", {type: bind, source: ./db, target: /db, bind: {create_host_path: false}}]'),
    ).container.mounts;
    expect(mounts).toEqual([
      { type: "bind", source: "/srv/gitdock/shop/data", target: "/var/lib/data", readOnly: false, createHostPath: true },
      { type: "bind", source: "/srv/gitdock/shop/media/cache", target: "/cache", readOnly: true, createHostPath: true },
      { type: "bind", source: "/srv/gitdock/shop/db", target: "/db", readOnly: false, createHostPath: false },
    ]);
  });

  it("uses the host's data root", () => {
    const stack = load('volumes: ["./data:/data"]', {}, { settings: { store: STORE, dataRoot: "/data/gitdock" } });
    expect(web(stack).container.mounts[0]).toMatchObject({ source: "/data/gitdock/shop/data" });
    expect(stack.storeObjects).toBeUndefined();
  });

  it("must lie inside the stack's directory", () => {
    expect(summary(problemsOf('volumes: ["../shared:/shared"]'))).toEqual([
      `services.web.volumes[0]: "../shared" is not in the repository, so it would be a data directory, and a data directory must lie inside the stack's directory (hosts/h1/shop)`,
    ]);
  });

  it("leaves absolute host paths and named volumes as they were", () => {
    const mounts = web(load('volumes: ["/srv/www:/www:ro", "db:/db"]', {}, { top: "volumes:\n  db: {}" })).container.mounts;
    expect(mounts).toEqual([
      { type: "bind", source: "/srv/www", target: "/www", readOnly: true, createHostPath: true },
      { type: "volume", source: "shop_db", target: "/db", readOnly: false, nocopy: false },
    ]);
  });
});

describe("relative env_file: read from the repository", () => {
  it("merges the file's values in order with host files, keeping one entry per file written", () => {
    const files = { "hosts/h1/shop/.env.production": "# defaults\nMODE=prod\nexport GREETING='hi there'\n", "hosts/h1/common/app.env": "MODE=shared\n" };
    const service = web(load("env_file: [.env.production, /etc/gitdock/env/shop.env, ../common/app.env]", files));
    expect(service.envFiles).toEqual([
      { repoPath: "hosts/h1/shop/.env.production", values: { MODE: "prod", GREETING: "hi there" } },
      "/etc/gitdock/env/shop.env",
      { repoPath: "hosts/h1/common/app.env", values: { MODE: "shared" } },
    ]);
  });

  it("allows an optional file of the repository to be missing, not one on the host", () => {
    expect(web(load("env_file: [{path: ./local.env, required: false}]")).envFiles).toEqual([{ repoPath: "hosts/h1/shop/local.env", values: {} }]);
    expect(summary(problemsOf("env_file: [{path: /etc/gitdock/env/x.env, required: false}]"))).toEqual([
      "services.web.env_file[0].required: optional env files on the host (required: false) are not supported; every host env_file must exist on the host",
    ]);
  });

  it("reads an env file of the repository as Compose does, and as the stack's .env is read (quotes, escapes, comments)", () => {
    const text = 'A=1 # a comment\nB="two\\nlines" # after quotes\nC=\'lit\\n $X\'\nexport D="x=y"\nE=\n';
    const values = { A: "1", B: "two\nlines", C: "lit\\n $X", D: "x=y", E: "" };
    expect(web(load("env_file: ./app.env", { "hosts/h1/shop/app.env": text })).envFiles).toEqual([{ repoPath: "hosts/h1/shop/app.env", values }]);
  });

  it("names a bad line by its number only, never its text", () => {
    const found = summary(problemsOf("env_file: .env", { "hosts/h1/shop/.env": "A=1\nTOPSECRET-LINE\n" }));
    // `.env` next to the stack is also read for ${VAR} (its own problem, at its line): neither shows the text.
    expect(found).toEqual([
      'services.web.env_file: env file ".env" (hosts/h1/shop/.env), line 2: expected KEY=VALUE (a name of letters, digits, _, . and -, then =)',
      ": expected KEY=VALUE (a name of letters, digits, _, . and -, then =)",
    ]);
    expect(found.join("\n")).not.toContain("TOPSECRET");
  });
});

describe("configs from the repository", () => {
  const top = "configs:\n  nginx_conf:\n    file: ./nginx.conf\n  motd:\n    content: hello from git\n";
  const files = { "hosts/h1/shop/nginx.conf": "events {}\n" };

  it("mounts a config at /<name> by default, read-only from the store with mode 0444", () => {
    const stack = load("configs: [nginx_conf]", files, { top });
    expect(web(stack).container.configs).toEqual([{ source: "nginx_conf", target: "/nginx_conf", file: `${STORE}/sha256/${sha("events {}\n")}` }]);
  });

  it("gives a config the target, owner and mode asked for, reading modes as Compose does", () => {
    const body = [
      "configs:",
      "  - {source: nginx_conf, target: /etc/nginx/nginx.conf, uid: '101', gid: 101, mode: 0440}",
      "  - {source: motd, target: etc/motd, mode: '0400'}",
      "  - {source: nginx_conf, target: /b, mode: 0o640}",
      "  - {source: nginx_conf, target: /c, mode: 288}",
    ].join("\n");
    const configs = web(load(body, files, { top })).container.configs;
    const digest = sha("events {}\n");
    expect(configs).toEqual([
      { source: "nginx_conf", target: "/b", file: `${STORE}/sha256/${digest}.0640` },
      { source: "nginx_conf", target: "/c", file: `${STORE}/sha256/${digest}.0440` },
      { source: "motd", target: "/etc/motd", file: `${STORE}/sha256/${sha("hello from git")}.0400` },
      { source: "nginx_conf", target: "/etc/nginx/nginx.conf", file: `${STORE}/sha256/${digest}.0440.101.101` },
    ]);
  });

  it("reads a mode written through an anchor and a merge key as written there", () => {
    const text = `x-conf: &conf\n  source: nginx_conf\n  mode: 0440\n${compose("configs:\n  - {<<: *conf, target: /a}", top)}`;
    const tree = repoTree("hosts/h1", { [STACK]: text, ...files });
    const configs = web(loadFrom(tree, [STACK])[0]!).container.configs;
    expect(configs).toEqual([{ source: "nginx_conf", target: "/a", file: `${STORE}/sha256/${sha("events {}\n")}.0440` }]);
  });

  it("refuses what a config from the repository cannot be", () => {
    const bad = ["configs:", "  - {source: nginx_conf, mode: 04755}", "  - {source: nope}", "  - {source: motd, target: /www}"].join("\n");
    const topBad = `${top}  host_file:\n    file: /etc/nginx/nginx.conf\n  missing:\n    file: ./missing.conf\n  both:\n    file: ./nginx.conf\n    content: x\n`;
    // In the order they are written: the service's, then the top-level declarations'.
    expect(summary(problemsOf(`${bad}\nvolumes: ["/srv/www:/www"]`, files, topBad))).toEqual([
      'services.web.configs: config "motd" is mounted at /www, where a volume is already mounted',
      "services.web.configs[0].mode: mode 04755 has setuid, setgid or sticky bits, which a file from the repository never gets; use permission bits only (like 0440)",
      'services.web.configs[1].source: config "nope" is not declared under the top-level configs:',
      'configs.host_file.file: "/etc/nginx/nginx.conf" is a host path; a config comes from the repository: write a path relative to the compose file (for a file on the host, use a read-only bind mount under volumes)',
      'configs.missing.file: config file "./missing.conf" is not in the repository (hosts/h1/shop/missing.conf); commit it next to the compose file',
      "configs.both: a config needs exactly one of file: (a file of the repository) or content:",
    ]);
  });
});

describe("secrets", () => {
  it("refuses a secret committed in plain text, saying to keep it on the host or encrypt it", () => {
    const found = problemsOf("secrets: [db]", { "hosts/h1/shop/db_password.txt": "hunter2" }, "secrets:\n  db:\n    file: ./db_password.txt\n");
    expect(summary(found)).toEqual([
      'secrets.db.file: "./db_password.txt" is a file committed to the repository (hosts/h1/shop/db_password.txt) in plain text: a secret must never be in Git unencrypted; rotate it, then encrypt it for each host (`sops --encrypt --age <host recipient> --in-place hosts/h1/shop/db_password.txt`, or `age -r <host recipient> -o hosts/h1/shop/db_password.txt.age` and name that file), or keep it on the host under the policy\'s secret_roots and write its absolute path',
    ]);
    expect(found.map((p) => p.message).join("\n")).not.toContain("hunter2");
  });

  it("mounts a secret at an absolute target, and records the mode and owner the host file must have", () => {
    const service = web(
      load(
        "secrets:\n  - {source: db, target: /etc/ssl/private/db.key, uid: '999', mode: 0400}\n  - db",
        {},
        { top: "secrets:\n  db:\n    file: /etc/gitdock/secrets/db\n" },
      ),
    );
    expect(service.secrets).toEqual([
      { source: "db", target: "/etc/ssl/private/db.key", file: "/etc/gitdock/secrets/db", expect: { uid: 999, mode: 0o400 } },
      { source: "db", target: "db", file: "/etc/gitdock/secrets/db" },
    ]);
  });
});

describe("limits of files from the repository", () => {
  it("refuses a single file over the limit, at the mount", () => {
    const big = new Uint8Array(MAX_STORED_FILE_BYTES + 1);
    expect(summary(problemsOf('volumes: ["./geo.db:/geo.db:ro"]', { "hosts/h1/shop/geo.db": big }))).toEqual([
      "services.web.volumes[0]: hosts/h1/shop/geo.db is 8 MiB; a file mounted from the repository may be at most 8 MiB (keep large data out of Git: use a data directory or a volume)",
    ]);
  });

  it("counts every stack of the commit against the total, each object once", () => {
    const chunk = (n: number) => new Uint8Array(MAX_STORED_FILE_BYTES).fill(n);
    const files: Record<string, Uint8Array | string> = {};
    const stacks: string[] = [];
    const count = MAX_STORED_BYTES_PER_COMMIT / MAX_STORED_FILE_BYTES + 1;
    for (let i = 0; i < count; i++) {
      files[`hosts/h1/s${i}/blob`] = chunk(i);
      files[`hosts/h1/s${i}/compose.yaml`] = `services:\n  web:\n    image: ${IMAGE}\n    volumes: ["./blob:/blob:ro", "../s0/blob:/again:ro"]\n`;
      stacks.push(`hosts/h1/s${i}/compose.yaml`);
    }
    const tree = repoTree("hosts/h1", files);
    let problems: ManifestProblem[] = [];
    try {
      loadManifest(tree, { files: FILES });
    } catch (err) {
      if (err instanceof ManifestInvalidError) problems = err.problems;
    }
    expect(problems.map((p) => `${p.file} ${p.path}`)).toEqual([`hosts/h1/s${count - 1}/compose.yaml services.web.volumes[0]`]);
    expect(problems[0]?.message).toMatch(/would total more than 32 MiB in this commit/);
  });
});
