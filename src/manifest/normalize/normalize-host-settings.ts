import type { LoggingSpec, Ulimit } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { byCodePoint } from "../../order.js";
import { sortedRecord, sortedSet } from "./sorted-record.js";

/** Small per-container settings whose normal form is a sorted set or record. */

/** Docker takes `NET_ADMIN` and `cap_net_admin` alike; one spelling keeps the spec hash stable. */
export function normalizeCapabilities(input: string[] | undefined): string[] {
  return sortedSet((input ?? []).map((cap) => cap.toUpperCase().replace(/^CAP_/, "")));
}

/** `tmpfs` entries (`/run` or `/run:size=64m`); the order of mounts does not matter. */
export function normalizeTmpfs(input: string | string[] | undefined, problems: ProblemSink): string[] {
  const entries = input === undefined ? [] : typeof input === "string" ? [input] : input;
  entries.forEach((entry, i) => {
    if (!entry.startsWith("/")) problems.report(typeof input === "string" ? [] : [i], `container path "${entry}" must be absolute`);
  });
  return sortedSet(entries.filter((entry) => entry.startsWith("/")));
}

/** `nofile: 1024` means soft = hard = 1024. -1 is unlimited. */
export function normalizeUlimits(input: ServiceInput["ulimits"], problems: ProblemSink): Record<string, Ulimit> {
  const out: [string, Ulimit][] = [];
  for (const [name, value] of Object.entries(input ?? {})) {
    const limit = typeof value === "number" ? { soft: value, hard: value } : { soft: value.soft, hard: value.hard };
    const exceeds = limit.hard !== -1 && (limit.soft === -1 || limit.soft > limit.hard);
    if (exceeds) problems.report([name, "soft"], "the soft limit cannot exceed the hard limit");
    out.push([name, limit]);
  }
  return Object.fromEntries(out.sort(([a], [b]) => byCodePoint(a, b)));
}

/** No driver and no options is the daemon's default logging, the same as leaving `logging` out. */
export function normalizeLogging(input: ServiceInput["logging"]): LoggingSpec | undefined {
  const options = Object.entries(input?.options ?? {}).map(([k, v]): [string, string] => [k, String(v)]);
  if (input?.driver === undefined && options.length === 0) return undefined;
  return { driver: input?.driver, options: sortedRecord(options) };
}

/** `restart: no` is Docker's default policy, the same as leaving it out. */
export function normalizeRestart(input: string | undefined): string | undefined {
  return input === "no" ? undefined : input;
}
