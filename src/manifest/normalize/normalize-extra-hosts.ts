import { extraHost, parseExtraHostEntry, type ExtraHostResult } from "../parse/parse-extra-host.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { sortedSet } from "./sorted-record.js";

/** `extra_hosts` as sorted `host:ip` strings, from the list or the mapping form. */
export function normalizeExtraHosts(input: ServiceInput["extra_hosts"], problems: ProblemSink): string[] {
  if (input === undefined) return [];
  const results: [(string | number)[], ExtraHostResult][] = Array.isArray(input)
    ? input.map((entry, i) => [[i], parseExtraHostEntry(entry)])
    : Object.entries(input).flatMap(([host, ips]) =>
        (typeof ips === "string" ? [ips] : ips).map((ip): [(string | number)[], ExtraHostResult] => [[host], extraHost(host, ip)]),
      );
  const entries: string[] = [];
  for (const [at, result] of results) {
    if ("entry" in result) entries.push(result.entry);
    else problems.report(at, result.error);
  }
  return sortedSet(entries);
}
