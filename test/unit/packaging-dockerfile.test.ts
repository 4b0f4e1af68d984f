import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name: string | undefined;
  body: Instruction[];
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trim().startsWith("#"))) return;
    if (pending !== "" && line.trim().startsWith("#")) return;
    if (pending === "") start = i + 1;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + line.trim()).trim();
    pending = "";
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
  });
  expect(pending, "the Dockerfile ends inside a continuation").toBe("");
  return out;
}

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      expect(m, `FROM at line ${ins.line}`).not.toBeNull();
      out.push({ from: m![1]!, name: m![2], body: [] });
    } else if (ins.op !== "ARG" || out.length > 0) {
      expect(out.length, `${ins.op} before the first FROM`).toBeGreaterThan(0);
      out.at(-1)!.body.push(ins);
    }
  }
  return out;
}

const jsonArgs = (ins: Instruction | undefined): unknown => JSON.parse(ins?.args ?? "null");
const all = stages(parseDockerfile(readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8")));
const final = all.at(-1)!;
const runs = (s: Stage): string[] => s.body.filter((i) => i.op === "RUN").map((i) => i.args);

describe("Dockerfile", () => {
  it("is multi-stage on node:20-bookworm-slim, pinned by digest, the same in every stage", () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const s of all) expect(s.from).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(new Set(all.map((s) => s.from)).size).toBe(1);
  });

  it("the build stage installs everything and compiles", () => {
    const build = all.find((s) => runs(s).some((r) => /npm run build/.test(r)));
    expect(build).toBeDefined();
    const r = runs(build!).join("\n");
    expect(r).toMatch(/npm ci(?! --omit)/);
    expect(r.indexOf("npm ci")).toBeLessThan(r.indexOf("npm run build"));
  });

  it("production dependencies are installed in a clean stage with --omit=dev", () => {
    const deps = all.find((s) => runs(s).some((r) => /npm ci\b.*--omit=dev/.test(r)));
    expect(deps).toBeDefined();
    expect(runs(deps!).some((r) => /npm run build/.test(r))).toBe(false);
    expect(deps!.body.some((i) => i.op === "COPY" && /--from=/.test(i.args))).toBe(false);
  });

  it("the final stage copies dist, production node_modules and package.json, and builds nothing", () => {
    const copies = final.body.filter((i) => i.op === "COPY").map((i) => i.args);
    const deps = all.find((s) => runs(s).some((r) => /--omit=dev/.test(r)))!;
    const build = all.find((s) => runs(s).some((r) => /npm run build/.test(r)))!;
    expect(copies).toContainEqual(expect.stringMatching(new RegExp(`^--from=${deps.name} \\S*node_modules\\s`)));
    expect(copies).toContainEqual(expect.stringMatching(new RegExp(`^--from=${build.name} \\S*dist\\s`)));
    expect(copies).toContainEqual(expect.stringMatching(/^package\.json\s/));
    expect(copies.some((c) => /^--from=\S+ \S*node_modules/.test(c) && !c.startsWith(`--from=${deps.name} `))).toBe(false);
    expect(runs(final)).toEqual([]);
  });

  it("runs gitdock run with the config, with the state volume, port and health check", () => {
    const one = (op: string) => final.body.filter((i) => i.op === op).at(-1);
    expect(jsonArgs(one("ENTRYPOINT"))).toEqual(["node", "/app/dist/cli/main.js"]);
    expect(jsonArgs(one("CMD"))).toEqual(["run", "--config", "/etc/gitdock/config.yaml"]);
    expect(one("VOLUME")?.args).toBe("/var/lib/gitdock");
    expect(one("EXPOSE")?.args).toBe("9380");
    const hc = one("HEALTHCHECK")?.args ?? "";
    const cmd = /(?:^|\s)CMD\s+(\[.*\])$/.exec(hc);
    expect(cmd, hc).not.toBeNull();
    expect(JSON.parse(cmd![1]!)).toEqual(["node", "-e", "fetch('http://127.0.0.1:9380/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]);
  });

  it(".dockerignore keeps the context small but keeps what the build copies", () => {
    const ignored = readFileSync(new URL("../../.dockerignore", import.meta.url), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const p of ["node_modules", "dist", ".git", "test"]) expect(ignored).toContain(p);
    for (const p of ["src", "package.json", "package-lock.json", "tsconfig.json"]) expect(ignored).not.toContain(p);
  });
});
