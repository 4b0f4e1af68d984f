import type { ContainerSpec, PortSpec } from "../../model.js";
import { byCodePoint } from "../../order.js";
import { parseExpose } from "../parse/parse-expose.js";
import { parseByteSize } from "../parse/parse-byte-size.js";
import { normalizePlatform } from "../parse/parse-platform.js";
import { canonicalSecurityOpt, isDefaultSecurityOpt } from "../parse/parse-security-opt.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { sortedRecord, sortedSet } from "./sorted-record.js";

export type ContainerKeys = Pick<
  ContainerSpec,
  | "expose"
  | "shmSizeBytes"
  | "securityOpt"
  | "sysctls"
  | "platform"
  | "runtime"
  | "dns"
  | "dnsSearch"
  | "dnsOptions"
  | "tty"
  | "stdinOpen"
  | "groupAdd"
  | "externalLinks"
>;

/**
 * The per-container keys that map one to one onto an Engine field, each only when it sets
 * something: a key left out (or at the Engine's default) stays out of the spec, so containers made
 * before gitdock knew it keep their spec hash, and `tty: false` means the same as no `tty`.
 */
export function normalizeContainerKeys(service: ServiceInput, ports: PortSpec[], problems: ProblemSink): ContainerKeys {
  const out: ContainerKeys = {};
  const set = <K extends keyof ContainerKeys>(key: K, value: ContainerKeys[K] | undefined) => {
    const empty =
      value === undefined ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
    if (!empty) out[key] = value;
  };
  set("expose", normalizeExpose(service.expose, ports, problems));
  // 0 asks for the Engine's default size (64 MiB): the same as leaving it out.
  set("shmSizeBytes", service.shm_size === undefined ? undefined : parseByteSize(service.shm_size) || undefined);
  set("securityOpt", normalizeSecurityOpt(service.security_opt, problems));
  set("sysctls", normalizeSysctls(service.sysctls, problems));
  set("platform", service.platform === undefined ? undefined : normalizePlatform(service.platform));
  set("runtime", service.runtime);
  set("dns", listOf(service.dns));
  set("dnsSearch", listOf(service.dns_search));
  set("dnsOptions", service.dns_opt === undefined ? undefined : sortedSet(service.dns_opt));
  if (service.tty === true) out.tty = true;
  if (service.stdin_open === true) out.stdinOpen = true;
  set("groupAdd", service.group_add === undefined ? undefined : sortedSet(service.group_add.map(String)));
  set("externalLinks", normalizeExternalLinks(service.external_links, problems));
  refuseWithSharedNetwork(service, problems);
  return out;
}

/**
 * A container in another's network namespace (`network_mode: service:x` / `container:x`) has that
 * container's DNS, ports and endpoints: the Engine refuses these settings with it, so say so here.
 */
function refuseWithSharedNetwork(service: ServiceInput, problems: ProblemSink): void {
  const mode = service.network_mode;
  if (mode === undefined) return;
  // A link is set on the service's networks; with a network_mode it joins none of the stack's.
  if (service.external_links !== undefined)
    problems.report(["external_links"], `cannot be combined with network_mode: ${mode}: a link is set on the networks the service joins, and it joins none`);
  if (!mode.startsWith("service:") && !mode.startsWith("container:")) return;
  for (const key of ["dns", "expose"] as const) {
    if (service[key] !== undefined)
      problems.report([key], `cannot be combined with network_mode: ${mode}: the container uses that container's network, so set it there`);
  }
}

/** Exposed ports as `port/protocol`; the ones `ports:` exposes anyway are left out (they mean nothing more). */
function normalizeExpose(input: ServiceInput["expose"], ports: PortSpec[], problems: ProblemSink): string[] | undefined {
  if (input === undefined) return undefined;
  const published = new Set(ports.map((p) => `${p.target}/${p.protocol}`));
  const out: string[] = [];
  for (const [i, entry] of input.entries()) {
    const result = parseExpose(entry);
    if ("error" in result) problems.report(["expose", i], result.error);
    else out.push(...result.ports.filter((p) => !published.has(p)));
  }
  return [...new Set(out)].sort(byPort);
}

function byPort(a: string, b: string): number {
  const [pa = "", qa = ""] = a.split("/");
  const [pb = "", qb = ""] = b.split("/");
  return Number(pa) - Number(pb) || byCodePoint(qa, qb);
}

function normalizeSecurityOpt(input: string[] | undefined, problems: ProblemSink): string[] | undefined {
  if (input === undefined) return undefined;
  const out: string[] = [];
  for (const [i, entry] of input.entries()) {
    const opt = canonicalSecurityOpt(entry);
    // The docker CLI reads a profile file and sends its content; the Engine takes only the content.
    if (/^seccomp=(?!unconfined$|\s*\{)/.test(opt)) {
      problems.report(
        ["security_opt", i],
        "a seccomp profile file is read by the docker CLI, not the Engine: write seccomp=unconfined, or the profile's JSON itself",
      );
    } else if (!isDefaultSecurityOpt(opt)) out.push(opt);
  }
  return sortedSet(out);
}

/** Either form, values as strings; `name=value` in the list form, later entries win. */
function normalizeSysctls(input: ServiceInput["sysctls"], problems: ProblemSink): Record<string, string> | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input)) return sortedRecord(Object.entries(input).map(([k, v]): [string, string] => [k, String(v)]));
  const entries: [string, string][] = [];
  for (const [i, item] of input.entries()) {
    const eq = item.indexOf("=");
    if (eq <= 0) problems.report(["sysctls", i], `expected "name=value", got "${item}"`);
    else entries.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
  }
  return sortedRecord(entries);
}

function listOf(input: string | string[] | undefined): string[] | undefined {
  if (input === undefined) return undefined;
  return typeof input === "string" ? [input] : [...new Set(input)];
}

/** `container` or `container:alias`, as `container:alias` (the alias defaults to the container's name). */
function normalizeExternalLinks(input: string[] | undefined, problems: ProblemSink): string[] | undefined {
  if (input === undefined) return undefined;
  const out: string[] = [];
  for (const [i, entry] of input.entries()) {
    const [container = "", alias = container, ...extra] = entry.split(":");
    if (extra.length > 0 || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(container) || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(alias)) {
      problems.report(["external_links", i], `expected "container" or "container:alias", got "${entry}"`);
      continue;
    }
    out.push(`${container}:${alias}`);
  }
  return sortedSet(out);
}
