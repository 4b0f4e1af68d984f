import type { DocPath } from "../format-path.js";
import type { PlacedSubstitution } from "../interpolate/substitutions.js";
import type { VariableScope } from "../interpolate/variable-scope.js";
import type { Origins } from "../merge/origins.js";

/**
 * `environment: [FOO]` and `environment: {FOO: }` pass a variable through from where Compose runs.
 * On a host that is the host's variables file (and, with `manifest.process_environment`, the
 * agent's own environment), never the repository's `.env`. A variable set there gets its value,
 * marked as a host value so no message shows it; one set nowhere is left out, as Compose does.
 * Returns the document with every service's environment resolved, and where values were filled in.
 */
export function passThroughEnvironment(doc: unknown, scope: VariableScope, origins: Origins): { doc: unknown; filled: PlacedSubstitution[] } {
  const filled: PlacedSubstitution[] = [];
  const services = isMapping(doc) ? doc["services"] : undefined;
  if (!isMapping(doc) || !isMapping(services)) return { doc, filled };
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(services)) {
    const env = isMapping(service) ? service["environment"] : undefined;
    const resolved = resolveEnvironment(env, ["services", name, "environment"], scope, origins, filled);
    if (resolved === env) {
      out[name] = service;
      continue;
    }
    changed = true;
    out[name] = copy(service as Record<string, unknown>, { ...(service as Record<string, unknown>), environment: resolved }, origins);
  }
  if (!changed) return { doc, filled };
  return { doc: copy(doc, { ...doc, services: copy(services, out, origins) }, origins), filled };
}

function resolveEnvironment(env: unknown, path: DocPath, scope: VariableScope, origins: Origins, filled: PlacedSubstitution[]): unknown {
  if (Array.isArray(env)) {
    if (!env.some((item) => typeof item === "string" && !item.includes("="))) return env;
    const out: unknown[] = [];
    env.forEach((item, i) => {
      if (typeof item !== "string" || item.includes("=")) return keep(out, env, i, origins);
      const value = scope.lookup(item);
      if (value === undefined) return undefined;
      keep(out, env, i, origins, `${item}=${value}`);
      filled.push(placed([...path, out.length - 1], item, `${item}=${value}`, scope));
      return undefined;
    });
    return finish(env, out, origins);
  }
  if (!isMapping(env) || !Object.values(env).some((v) => v === null)) return env;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    const value = raw === null ? scope.lookup(key) : raw;
    if (value === undefined) continue;
    out[key] = value;
    const at = origins.childOf(env, key);
    if (at) origins.setChild(out, key, at);
    if (raw === null) filled.push(placed([...path, key], key, String(value), scope));
  }
  return finish(env, out, origins);
}

function placed(path: DocPath, name: string, value: string, scope: VariableScope): PlacedSubstitution {
  const fromHost = scope.isSecret(name);
  return { path, value, substitution: { written: name, hostVariables: fromHost ? [name] : [], unresolved: false } };
}

function keep(out: unknown[], from: unknown[], i: number, origins: Origins, value: unknown = from[i]): undefined {
  const at = origins.childOf(from, i);
  out.push(value);
  if (at) origins.setChild(out, out.length - 1, at);
  return undefined;
}

function finish<T extends object>(from: object, to: T, origins: Origins): T {
  const origin = origins.of(from);
  if (origin) origins.set(to, origin);
  return to;
}

function copy(from: Record<string, unknown>, to: Record<string, unknown>, origins: Origins): Record<string, unknown> {
  finish(from, to, origins);
  for (const key of Object.keys(to)) {
    if (!Object.hasOwn(from, key) || (typeof to[key] === "object" && to[key] !== from[key])) continue;
    const at = origins.childOf(from, key);
    if (at) origins.setChild(to, key, at);
  }
  return to;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
