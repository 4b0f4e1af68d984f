import type { DocPath } from "../format-path.js";
import { dirOf, resolveRepoPath } from "../load/repo-paths.js";
import { mergeSlots, type MergeContext } from "./merge-documents.js";

export interface ExtendsContext extends MergeContext {
  /** The directory the host reads: `extends.file` must stay inside it. */
  root: string;
  /** A file's data with variables substituted; undefined when it is missing or broken (already reported). */
  load(path: string): unknown;
  exists(path: string): boolean;
}

/**
 * `extends` (the Compose Specification, "services", `extends`): a service takes another service's
 * settings, from the same file or from `file:` (relative to the file that says `extends`, inside
 * the host's directory), and its own settings are merged over them by the same rules as an
 * override file. The base may extend further; a cycle is an error. Returns the document with every
 * service resolved and its `extends` key removed.
 */
export function resolveExtends(doc: unknown, file: string, ctx: ExtendsContext): unknown {
  const services = isMapping(doc) ? doc["services"] : undefined;
  if (!isMapping(doc) || !isMapping(services) || !Object.values(services).some((s) => isMapping(s) && Object.hasOwn(s, "extends"))) return doc;
  const resolver = new Resolver(ctx);
  const out = { ...services };
  ctx.origins.copy(services, out);
  for (const name of Object.keys(services)) out[name] = resolver.service(doc, file, name, []);
  const result = { ...doc, services: out };
  ctx.origins.copy(doc, result);
  return result;
}

class Resolver {
  private readonly done = new Map<string, unknown>();

  constructor(private readonly ctx: ExtendsContext) {}

  service(doc: Record<string, unknown>, file: string, name: string, chain: string[]): unknown {
    const id = `${file}#${name}`;
    if (this.done.has(id)) return this.done.get(id);
    const services = doc["services"] as Record<string, unknown>;
    const service = services[name];
    const resolved = isMapping(service) && Object.hasOwn(service, "extends") ? this.extend(doc, service, file, name, [...chain, id]) : service;
    this.done.set(id, resolved);
    return resolved;
  }

  private extend(doc: Record<string, unknown>, service: Record<string, unknown>, file: string, name: string, chain: string[]): unknown {
    const at: DocPath = ["services", name, "extends"];
    const local = withoutExtends(service, this.ctx);
    const target = this.target(service["extends"], file, at);
    if (target === undefined) return local;
    const id = `${target.file}#${target.service}`;
    if (chain.includes(id)) {
      this.report(file, at, `extends forms a cycle: ${[...chain, id].map(describe).join(" -> ")}`);
      return local;
    }
    const targetDoc = target.file === file ? doc : this.ctx.load(target.file);
    const targetServices = isMapping(targetDoc) ? targetDoc["services"] : undefined;
    if (!isMapping(targetDoc) || !isMapping(targetServices) || !isMapping(targetServices[target.service])) {
      if (targetDoc !== undefined) this.report(file, at, `service "${target.service}" is not defined in ${target.file}`);
      return local;
    }
    const base = this.service(targetDoc, target.file, target.service, chain);
    const merged = mergeSlots(
      { value: base, at: this.ctx.origins.of(base as object) },
      { value: local, at: this.ctx.origins.of(local) },
      ["services", name],
      this.ctx,
      "over",
    );
    return merged.value;
  }

  /** `extends: name` or `extends: {service: name, file: other.yaml}`. */
  private target(value: unknown, file: string, at: DocPath): { file: string; service: string } | undefined {
    const spec = typeof value === "string" ? { service: value } : value;
    if (!isMapping(spec) || typeof spec["service"] !== "string" || (spec["file"] !== undefined && typeof spec["file"] !== "string")) {
      this.report(file, at, "expected a service name, or a mapping with service (and file)");
      return undefined;
    }
    const unknown = Object.keys(spec).filter((k) => k !== "service" && k !== "file" && !k.startsWith("x-"));
    if (unknown.length > 0) this.report(file, [...at, unknown[0] as string], "not supported by gitdock (extends takes service and file)");
    if (spec["file"] === undefined) return { file, service: spec["service"] };
    const resolved = resolveRepoPath(dirOf(file), spec["file"], this.ctx.root);
    if ("error" in resolved) {
      this.report(file, [...at, "file"], resolved.error);
      return undefined;
    }
    if (!this.ctx.exists(resolved.path)) {
      this.report(file, [...at, "file"], `${resolved.path} does not exist in the repository`);
      return undefined;
    }
    return { file: resolved.path, service: spec["service"] };
  }

  private report(file: string, path: DocPath, message: string): void {
    this.ctx.log.add({ file, at: { path, side: "value" }, logical: path, message });
  }
}

function withoutExtends(service: Record<string, unknown>, ctx: ExtendsContext): Record<string, unknown> {
  const { extends: _ignored, ...rest } = service;
  ctx.origins.copy(service, rest);
  return rest;
}

function describe(id: string): string {
  const [file, service] = id.split("#");
  return `${service} (${file})`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
