import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { parseDurationMs } from "../duration.js";
import type { ManifestProblem } from "../errors.js";
import type { DocPath } from "../manifest/format-path.js";
import { FileProblems } from "../manifest/problems.js";
import { createLocator } from "../manifest/yaml/locate-node.js";
import { parseSshPublicKey, type SshPublicKey } from "../source/ssh-public-key.js";
import { SshWireError } from "../source/ssh-wire.js";
import { FLEET_DEFAULTS, fleetFileSchema, type FleetFileInput } from "./fleet-schema.js";

export interface FleetHost {
  id: string;
  key: SshPublicKey;
}

export interface Wave {
  name: string;
  /** 0 for the first wave. */
  index: number;
  /** The declared hosts this wave holds, ids and patterns resolved, in the fleet file's order. */
  hosts: string[];
  soakMs: number;
  reportTimeoutMs: number;
  maxFailures: number;
  maxUnreachable: number;
  onFailure: "hold" | "rollback";
}

export interface Fleet {
  /** Repository-relative path of the fleet file. */
  file: string;
  hosts: ReadonlyMap<string, FleetHost>;
  waves: Wave[];
}

/** The name gitdock looks for, from the host's directory up to the repository root. */
export const FLEET_FILE_NAME = "fleet.yaml";

/** The wave a host belongs to; undefined for a host no wave names (it applies commits at once, as without a fleet file). */
export function waveOf(fleet: Fleet, hostId: string): Wave | undefined {
  return fleet.waves.find((w) => w.hosts.includes(hostId));
}

/** Parses and checks a fleet file: the schema, every key, every wave's hosts; every problem located. */
export function parseFleetFile(file: string, text: string): { fleet: Fleet; problems: [] } | { fleet: undefined; problems: ManifestProblem[] } {
  const sink = new FileProblems(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) sink.reportAt(lineCounter.linePos(err.pos[0]), "", `not valid YAML: ${err.message}`);
  if (sink.problems.length) return { fleet: undefined, problems: sink.problems };
  sink.attach(createLocator(doc, lineCounter));
  const parsed = fleetFileSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportIssue(sink, issue);
    return { fleet: undefined, problems: sink.problems };
  }
  const fleet = buildFleet(file, parsed.data, sink);
  return sink.problems.length ? { fleet: undefined, problems: sink.problems } : { fleet, problems: [] };
}

function reportIssue(sink: FileProblems, issue: z.core.$ZodIssue): void {
  const path: DocPath = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") for (const key of issue.keys) sink.report([...path, key], "unknown key", "key");
  else sink.report(path, issue.message);
}

function buildFleet(file: string, input: FleetFileInput, sink: FileProblems): Fleet {
  const hosts = new Map<string, FleetHost>();
  for (const [id, host] of Object.entries(input.hosts)) {
    const key = parseKeyLine(host.key);
    if (typeof key === "string") sink.report(["hosts", id, "key"], key);
    else hosts.set(id, { id, key });
  }
  const ids = Object.keys(input.hosts);
  const placed = new Map<string, string>();
  const waves = input.waves.map((w, index) => buildWave(w, index, ids, placed, sink));
  const names = new Set<string>();
  input.waves.forEach((w, i) => {
    if (names.has(w.name)) sink.report(["waves", i, "name"], `another wave is named ${w.name}`);
    names.add(w.name);
  });
  return { file, hosts, waves };
}

function buildWave(w: FleetFileInput["waves"][number], index: number, ids: string[], placed: Map<string, string>, sink: FileProblems): Wave {
  const hosts: string[] = [];
  w.hosts.forEach((pattern, j) => {
    const matched = ids.filter((id) => matchesPattern(pattern, id));
    if (!matched.length) sink.report(["waves", index, "hosts", j], `${pattern} names no host declared under hosts`);
    for (const id of matched) {
      const earlier = placed.get(id);
      // A pattern may sweep up hosts an earlier wave took ("*" for the rest); an id written twice is a mistake.
      if (earlier !== undefined && earlier !== w.name && pattern === id) sink.report(["waves", index, "hosts", j], `${id} is already in wave ${earlier}`);
      if (earlier !== undefined) continue;
      placed.set(id, w.name);
      hosts.push(id);
    }
  });
  return {
    name: w.name,
    index,
    hosts,
    soakMs: durationAt(w.soak ?? FLEET_DEFAULTS.soak, ["waves", index, "soak"], sink),
    reportTimeoutMs: durationAt(w.report_timeout ?? FLEET_DEFAULTS.report_timeout, ["waves", index, "report_timeout"], sink),
    maxFailures: w.max_failures ?? FLEET_DEFAULTS.max_failures,
    maxUnreachable: w.max_unreachable ?? FLEET_DEFAULTS.max_unreachable,
    onFailure: w.on_failure ?? FLEET_DEFAULTS.on_failure,
  };
}

function durationAt(text: string, path: DocPath, sink: FileProblems): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) sink.report(path, `not a duration: ${text}`);
  return Math.ceil(ms ?? 0);
}

function parseKeyLine(line: string): SshPublicKey | string {
  const blob = Buffer.from(line.split(" ")[1] ?? "", "base64");
  try {
    const key = parseSshPublicKey(blob);
    return key.type === line.split(" ")[0] ? key : `the key's type is ${key.type}, not ${line.split(" ")[0]}`;
  } catch (err) {
    if (err instanceof SshWireError) return `not a usable SSH public key: ${err.message}`;
    throw err;
  }
}

/** `*` any run of characters, `?` one character; everything else literal. */
export function matchesPattern(pattern: string, id: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\-]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(id);
}
