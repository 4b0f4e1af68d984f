import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const UNIT_PATH = new URL("../../systemd/gitdock.service", import.meta.url);
const text = readFileSync(UNIT_PATH, "utf8");

/** A minimal systemd unit parser: sections of `Key=Value` lines, repeated keys kept in order. */
function parseUnit(source: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  source.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      return;
    }
    const eq = line.indexOf("=");
    if (current === undefined || eq <= 0) throw new Error(`line ${i + 1}: not a key=value in a section: ${raw}`);
    const key = line.slice(0, eq).trim();
    const values = current.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    current.set(key, values);
  });
  return sections;
}

const unit = parseUnit(text);
const get = (section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe("systemd/gitdock.service", () => {
  it("has exactly the Unit, Service and Install sections", () => {
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
  });

  it.each([
    ["Unit", "After", "docker.service network-online.target"],
    ["Unit", "Wants", "network-online.target"],
    ["Unit", "Requires", "docker.service"],
    ["Service", "ExecStart", "/usr/local/bin/gitdock run --config /etc/gitdock/config.yaml"],
    ["Service", "ExecReload", "/bin/kill -HUP $MAINPID"],
    ["Service", "Restart", "always"],
    ["Service", "RestartSec", "5"],
    ["Service", "StateDirectory", "gitdock"],
    ["Service", "StateDirectoryMode", "0700"],
    ["Service", "EnvironmentFile", "-/etc/gitdock/gitdock.env"],
    ["Service", "KillSignal", "SIGTERM"],
    ["Service", "TimeoutStopSec", "180"],
    ["Service", "CapabilityBoundingSet", "CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_FOWNER CAP_CHOWN"],
    ["Service", "AmbientCapabilities", ""],
    ["Service", "NoNewPrivileges", "yes"],
    ["Service", "ProtectSystem", "strict"],
    ["Service", "ReadWritePaths", "/var/lib/gitdock /var/run/docker.sock -/srv -/var/lib/gitdock-data"],
    ["Service", "ProtectHome", "read-only"],
    ["Service", "PrivateTmp", "yes"],
    ["Service", "PrivateDevices", "yes"],
    ["Service", "ProtectKernelTunables", "yes"],
    ["Service", "ProtectKernelModules", "yes"],
    ["Service", "ProtectKernelLogs", "yes"],
    ["Service", "ProtectControlGroups", "yes"],
    ["Service", "ProtectClock", "yes"],
    ["Service", "ProtectHostname", "yes"],
    ["Service", "RestrictNamespaces", "yes"],
    ["Service", "RestrictSUIDSGID", "yes"],
    ["Service", "LockPersonality", "yes"],
    ["Service", "RestrictRealtime", "yes"],
    ["Service", "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
    ["Service", "SystemCallArchitectures", "native"],
    ["Service", "SystemCallErrorNumber", "EPERM"],
    ["Service", "UMask", "0077"],
    ["Install", "WantedBy", "multi-user.target"],
  ])("[%s] %s=%s", (section, key, value) => {
    expect(get(section, key)).toBe(value);
  });

  it("allows the system calls of a service and V8's memory protection keys, minus the privileged and resource-changing ones", () => {
    expect(unit.get("Service")?.get("SystemCallFilter")).toEqual(["@system-service @pkey", "~@privileged @resources"]);
  });

  it("has a Description and does not forbid what Node and gitdock need", () => {
    expect(get("Unit", "Description")).toMatch(/gitdock/);
    expect(get("Service", "MemoryDenyWriteExecute")).toBeUndefined(); // V8 still compiles code at run time
    expect(get("Service", "PrivateNetwork")).toBeUndefined(); // Git server, registry, webhooks
    expect(get("Service", "User")).toBeUndefined(); // root: the Docker socket and root-only files
  });

  it("says in a comment why each capability it keeps is needed, and why MemoryDenyWriteExecute is left out", () => {
    const comments = text
      .split("\n")
      .filter((l) => l.trimStart().startsWith("#"))
      .join("\n");
    for (const cap of get("Service", "CapabilityBoundingSet")!.split(" ")) expect(comments).toMatch(new RegExp(`#\\s+${cap}\\s+\\S`));
    expect(comments).toMatch(/Not MemoryDenyWriteExecute: V8/);
  });

  it("names exactly the environment variables the code reads", () => {
    const read = new Set<string>();
    const walk = (dir: URL): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(new URL(`${e.name}/`, dir));
        else if (e.name.endsWith(".ts")) {
          // process.env.X, and env.X where a function takes the environment as a parameter.
          for (const m of readFileSync(new URL(e.name, dir), "utf8").matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g)) read.add(m[1]!);
        }
      }
    };
    walk(new URL("../../src/", import.meta.url));
    const named = new Set([...text.matchAll(/\b((?:GITDOCK|DOCKER|XDG)_[A-Z0-9_]+)\b/g)].map((m) => m[1]!));
    expect([...read].sort()).toEqual([
      "DOCKER_CONFIG",
      "DOCKER_HOST",
      "GITDOCK_DEBUG",
      "GITDOCK_GIT_PASSWORD",
      "GITDOCK_GIT_USERNAME",
      "GITDOCK_LOG_LEVEL",
      "XDG_CACHE_HOME",
    ]);
    expect([...named].sort()).toEqual([...read].sort());
  });

  it("passes systemd-analyze verify when it is installed", () => {
    const analyze = which("systemd-analyze");
    if (analyze === undefined) {
      console.log("systemd-analyze is not on PATH: only the parse above was checked");
      return;
    }
    // ExecStart must name an existing executable for verify to pass; the binary is not installed
    // here, so check a copy whose ExecStart points at this Node (arguments unchanged).
    const dir = mkdtempSync(join(tmpdir(), "gitdock-unit-"));
    try {
      const copy = join(dir, "gitdock.service");
      writeFileSync(copy, text.replace("ExecStart=/usr/local/bin/gitdock ", `ExecStart=${process.execPath} `));
      const r = spawnSync(analyze, ["verify", copy], { encoding: "utf8" });
      const lines = `${r.stdout}\n${r.stderr}`
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "");
      // A host without Docker installed lacks docker.service; that says nothing about the file.
      const about = lines.filter((l) => !/docker\.service/.test(l));
      expect(about, lines.join("\n")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the verify check would catch a broken key (self-test)", () => {
    const analyze = which("systemd-analyze");
    if (analyze === undefined) {
      console.log("systemd-analyze is not on PATH: self-test not run");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "gitdock-unit-"));
    try {
      const copy = join(dir, "broken.service");
      writeFileSync(copy, `[Service]\nExecStart=${process.execPath}\nRestart=sometimes\n`);
      const out = spawnSync(analyze, ["verify", copy], { encoding: "utf8" });
      expect(`${out.stdout}${out.stderr}`).toMatch(/restart/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
