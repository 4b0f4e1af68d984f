import type { ProblemSink } from "../problems.js";
import { sortedRecord } from "./sorted-record.js";

type Scalar = string | number | boolean;
export type KeyValueInput = string[] | Record<string, Scalar | null>;

/** `labels` in either form. `KEY` alone or a null value is the empty string, as in Compose. */
export function normalizeLabels(input: KeyValueInput | undefined, problems: ProblemSink): Record<string, string> {
  return sortedRecord(keyValues(input, problems, () => ""));
}

/**
 * `environment` in either form. In Compose, `KEY` alone or `KEY:` with no value passes the
 * variable through from the shell running `docker compose`; an unattended agent has no such shell,
 * so that is refused instead of silently becoming empty or taking the agent's own environment.
 */
export function normalizeEnvironment(input: KeyValueInput | undefined, problems: ProblemSink): Record<string, string> {
  return sortedRecord(
    keyValues(input, problems, (path) => {
      problems.report(
        path,
        "has no value; passing a variable through from the host's environment is not supported (gitdock runs unattended): write the value, or use env_file for host-specific values",
      );
      return undefined;
    }),
  );
}

type MissingValue = (path: (string | number)[]) => string | undefined;

function keyValues(input: KeyValueInput | undefined, problems: ProblemSink, missing: MissingValue): [string, string][] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) return fromMap(input, missing);
  const out: [string, string][] = [];
  for (const [i, item] of input.entries()) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === "") problems.report([i], 'expected "KEY=VALUE"');
    const value = eq < 0 ? missing([i]) : item.slice(eq + 1);
    if (key !== "" && value !== undefined) out.push([key, value]);
  }
  return out;
}

function fromMap(input: Record<string, Scalar | null>, missing: MissingValue): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, raw] of Object.entries(input)) {
    const value = raw === null ? missing([key]) : String(raw);
    if (value !== undefined) out.push([key, value]);
  }
  return out;
}
