import type { DocPath } from "../format-path.js";
import type { ProblemLog } from "../load/problem-log.js";
import type { SourceFiles } from "../load/source-files.js";
import type { MergeBudget } from "./merge-budget.js";
import { mergeRuleAt, type MergeRule, type UniqueKind } from "./merge-rules.js";
import type { Origin, Origins } from "./origins.js";
import { uniqueKeyOf } from "./unique-keys.js";

export interface MergeContext {
  origins: Origins;
  files: SourceFiles;
  log: ProblemLog;
  budget: MergeBudget;
}

/** A value and where it was written (containers also carry their own origin in `origins`). */
export interface Slot {
  value: unknown;
  at: Origin | undefined;
}

/** Whose origin a merged mapping takes: the earlier file's (override files) or the later one's (`extends`). */
type Keep = "base" | "over";

/**
 * Merges `over` onto `base` by Compose's rules (merge-rules.ts), as a new tree: neither input is
 * changed, and every part of the result keeps the origin of the text it came from. `!reset` in
 * `over` removes a key, `!override` replaces it whole. `path` is where the two values sit in a
 * compose document; it decides the rules. Without a base, `over` is taken as it is, less its
 * `!reset` keys.
 */
export function mergeSlots(base: Slot | undefined, over: Slot, path: DocPath, ctx: MergeContext, keep: Keep = "base"): Slot {
  if (base === undefined || base.value === undefined) return take(over, ctx);
  if (over.value === null || over.value === undefined) return base;
  const rule = mergeRuleAt(path);
  switch (rule.kind) {
    case "replace":
      return take(over, ctx);
    case "keyed":
      return mergeKeyed(base, over, path, ctx, keep);
    case "names":
      return mergeNames(base, over, rule, path, ctx, keep);
    case "logging":
      return sameDriver(base.value, over.value) ? mergeMaps(base, over, path, ctx, keep) : take(over, ctx);
    case "unique":
      // A mapping where a list belongs is not a list of entries: merged (and reported) by the default rules.
      if (isMapping(base.value) || isMapping(over.value)) return mergeDefault(base, over, path, ctx, keep);
      return appendLists(asList(base, ctx), asList(over, ctx), keep, ctx, rule.key);
    case "sequence":
      return appendLists(asList(base, ctx), asList(over, ctx), keep, ctx);
    default:
      return mergeDefault(base, over, path, ctx, keep);
  }
}

function mergeDefault(base: Slot, over: Slot, path: DocPath, ctx: MergeContext, keep: Keep): Slot {
  if (isMapping(base.value) && isMapping(over.value)) return mergeMaps(base, over, path, ctx, keep);
  if (Array.isArray(base.value) && Array.isArray(over.value)) return appendLists(asList(base, ctx), asList(over, ctx), keep, ctx);
  if (isContainer(base.value)) {
    const where = base.at ? ` in ${base.at.file}` : "";
    reportAt(ctx, over, path, `cannot merge ${kindOf(over.value)} into ${kindOf(base.value)}${where}; write !override before the value to replace it`);
  }
  return take(over, ctx);
}

/** Key by key; `perKey` decides a key both sides set (by default, these same rules one level down). */
function mergeMaps(base: Slot, over: Slot, path: DocPath, ctx: MergeContext, keep: Keep, perKey?: (b: Slot, o: Slot) => Slot): Slot {
  const b = base.value as Record<string, unknown>;
  const o = over.value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const origin = keep === "base" ? (ctx.origins.of(b) ?? base.at) : (ctx.origins.of(o) ?? over.at);
  if (origin) ctx.origins.set(out, origin);
  for (const key of Object.keys(b)) put(out, key, slotOf(b, key, ctx), ctx);
  for (const key of Object.keys(o)) {
    const tag = tagOf(o, key, ctx);
    if (tag === "reset") {
      delete out[key];
      continue;
    }
    const next = slotOf(o, key, ctx);
    if (tag === "override" || !Object.hasOwn(out, key)) put(out, key, take(next, ctx), ctx);
    else put(out, key, perKey ? perKey(slotOf(out, key, ctx), next) : mergeSlots(slotOf(out, key, ctx), next, [...path, key], ctx, keep), ctx);
  }
  return { value: out, at: origin };
}

/** `environment`, `labels`...: lists merge as lists (by KEY), anything else as mappings; the later value wins. */
function mergeKeyed(base: Slot, over: Slot, path: DocPath, ctx: MergeContext, keep: Keep): Slot {
  if (Array.isArray(base.value) && Array.isArray(over.value)) return appendLists(asList(base, ctx), asList(over, ctx), keep, ctx, "keyed");
  return mergeMaps(asKeyedMap(base, ctx), asKeyedMap(over, ctx), path, ctx, keep, (_b, o) => take(o, ctx));
}

/** `depends_on`, `networks`: two lists stay a list of distinct names; otherwise mappings by name. */
function mergeNames(base: Slot, over: Slot, rule: Extract<MergeRule, { kind: "names" }>, path: DocPath, ctx: MergeContext, keep: Keep): Slot {
  if (Array.isArray(base.value) && Array.isArray(over.value)) return appendLists(asList(base, ctx), asList(over, ctx), keep, ctx, "name");
  return mergeMaps(asNameMap(base, rule.listValue, ctx), asNameMap(over, rule.listValue, ctx), path, ctx, keep);
}

interface ListSlots {
  items: Slot[];
  at: Origin | undefined;
}

/** Appends; with a unique key, a later entry replaces the earlier one with the same key where it stood. */
function appendLists(base: ListSlots, over: ListSlots, keep: Keep, ctx: MergeContext, unique?: UniqueKind | "keyed"): Slot {
  const out: unknown[] = [];
  const origin = keep === "base" ? (base.at ?? over.at) : (over.at ?? base.at);
  if (origin) ctx.origins.set(out, origin);
  const seen = new Map<string, number>();
  for (const item of [...base.items, ...over.items.map((s) => take(s, ctx))]) {
    ctx.budget.spend();
    const key = unique === undefined ? undefined : unique === "keyed" ? keyedKeyOf(item.value) : uniqueKeyOf(unique, item.value);
    const index = key === undefined ? undefined : seen.get(key);
    const at = index ?? out.length;
    out[at] = item.value;
    if (item.at) ctx.origins.setChild(out, at, item.at);
    if (key !== undefined && index === undefined) seen.set(key, at);
  }
  return { value: out, at: origin };
}

function asList(slot: Slot, ctx: MergeContext): ListSlots {
  const value = slot.value;
  if (Array.isArray(value)) return { items: value.map((_, i) => slotOf(value, i, ctx)), at: ctx.origins.of(value) ?? slot.at };
  if (isMapping(value)) return { items: mapAsList(value, ctx), at: ctx.origins.of(value) ?? slot.at };
  return { items: [slot], at: slot.at };
}

/** `extra_hosts: {host: ip}` (or `{host: [ip, ip]}`) as `host=ip` entries. */
function mapAsList(map: Record<string, unknown>, ctx: MergeContext): Slot[] {
  return Object.keys(map).flatMap((key) => {
    const at = ctx.origins.childOf(map, key);
    const values = Array.isArray(map[key]) ? (map[key] as unknown[]) : [map[key]];
    return values.map((v) => ({ value: v === null ? key : `${key}=${String(v)}`, at }));
  });
}

/** `["A=1", "B"]` as `{A: "1", B: null}`, each key keeping the origin of its item. */
function asKeyedMap(slot: Slot, ctx: MergeContext): Slot {
  return listAsMap(slot, ctx, (item) => {
    const text = String(item);
    const eq = text.indexOf("=");
    return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
  });
}

/** `[db, cache]` as `{db: <listValue>, cache: <listValue>}`. */
function asNameMap(slot: Slot, listValue: unknown, ctx: MergeContext): Slot {
  return listAsMap(slot, ctx, (item) => [String(item), listValue === null || typeof listValue !== "object" ? listValue : { ...listValue }]);
}

/** A list slot as a map of `entry(item)`, the map and each key keeping the origins of the list and its items. */
function listAsMap(slot: Slot, ctx: MergeContext, entry: (item: unknown) => [string, unknown]): Slot {
  if (!Array.isArray(slot.value)) return slot;
  const list: unknown[] = slot.value;
  const out: Record<string, unknown> = {};
  const origin = ctx.origins.of(list) ?? slot.at;
  if (origin) ctx.origins.set(out, origin);
  list.forEach((item, i) => {
    const [key, value] = entry(item);
    out[key] = value;
    const at = ctx.origins.childOf(list, i);
    if (at) ctx.origins.setChild(out, key, at);
  });
  return { value: out, at: origin };
}

/** The value as it stands, less the keys marked `!reset` anywhere inside it. */
function take(slot: Slot, ctx: MergeContext): Slot {
  return { value: stripResets(slot.value, ctx), at: slot.at };
}

function stripResets(value: unknown, ctx: MergeContext): unknown {
  if (!ctx.files.anyMergeTags) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => stripResets(v, ctx));
    return items.every((v, i) => v === value[i]) ? value : copied(value, items, ctx);
  }
  if (!isMapping(value)) return value;
  const keys = Object.keys(value).filter((k) => tagOf(value, k, ctx) !== "reset");
  const entries = keys.map((k): [string, unknown] => [k, stripResets(value[k], ctx)]);
  const same = keys.length === Object.keys(value).length && entries.every(([k, v]) => v === value[k]);
  return same ? value : copied(value, Object.fromEntries(entries), ctx);
}

/** A changed copy of a container, keeping its origin and its children's. */
function copied<T extends object>(original: object, copy: T, ctx: MergeContext): T {
  const origin = ctx.origins.of(original);
  if (origin) ctx.origins.set(copy, origin);
  for (const key of Object.keys(copy)) {
    const k = Array.isArray(copy) ? Number(key) : key;
    const at = ctx.origins.childOf(original, k);
    if (at) ctx.origins.setChild(copy, k, at);
  }
  return copy;
}

function put(out: Record<string, unknown>, key: string, slot: Slot, ctx: MergeContext): void {
  ctx.budget.spend();
  out[key] = slot.value;
  if (slot.at) ctx.origins.setChild(out, key, slot.at);
}

function slotOf(container: object, key: string | number, ctx: MergeContext): Slot {
  return { value: (container as Record<string | number, unknown>)[key], at: ctx.origins.childOf(container, key) };
}

function tagOf(container: Record<string, unknown>, key: string, ctx: MergeContext): "reset" | "override" | undefined {
  if (!ctx.files.anyMergeTags) return undefined;
  const at = ctx.origins.childOf(container, key);
  return at === undefined ? undefined : ctx.files.get(at.file)?.tagAt(at.path);
}

function sameDriver(base: unknown, over: unknown): boolean {
  if (!isMapping(base) || !isMapping(over)) return false;
  return base["driver"] === over["driver"] || !Object.hasOwn(base, "driver") || !Object.hasOwn(over, "driver");
}

/** `KEY=VALUE` and `KEY` entries are the same variable or label. */
function keyedKeyOf(entry: unknown): string | undefined {
  if (typeof entry !== "string") return undefined;
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

function reportAt(ctx: MergeContext, slot: Slot, path: DocPath, message: string): void {
  const at = slot.at ?? (isContainer(slot.value) ? ctx.origins.of(slot.value as object) : undefined);
  if (at) ctx.log.add({ file: at.file, at: { path: at.path, side: "value" }, logical: path, message });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isContainer(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isMapping(value)) return "a mapping";
  return "a single value";
}
