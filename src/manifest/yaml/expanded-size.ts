/**
 * How big a parsed document is once every alias is expanded, without expanding it: yaml's `toJS`
 * shares one object per anchor, so the size of each shared object is computed once. A "billion
 * laughs" document is a few hundred bytes that expand to billions of nodes; a real Compose file
 * with many `<<: *defaults` merges expands to a few times its own size. The budget is relative to
 * the document (10x its own nodes and string bytes), with a floor so small files are never refused.
 */
export interface ExpandedSize {
  nodes: number;
  bytes: number;
}

export const EXPANSION_FACTOR = 10;
export const MIN_EXPANDED_NODES = 1_000;
export const MIN_EXPANDED_BYTES = 64 * 1024;

/** The limit for a document of `own` nodes and bytes as written. */
export function expansionBudget(own: ExpandedSize): ExpandedSize {
  return {
    nodes: Math.max(MIN_EXPANDED_NODES, EXPANSION_FACTOR * own.nodes),
    bytes: Math.max(MIN_EXPANDED_BYTES, EXPANSION_FACTOR * own.bytes),
  };
}

/** Nodes and string bytes of `value` with shared objects counted each time they are used. Cycles count once. */
export function expandedSize(value: unknown): ExpandedSize {
  const memo = new Map<object, ExpandedSize>();
  const open = new Set<object>();
  const size = (v: unknown): ExpandedSize => {
    if (typeof v === "string") return { nodes: 1, bytes: Buffer.byteLength(v, "utf8") };
    if (typeof v !== "object" || v === null) return { nodes: 1, bytes: 0 };
    const known = memo.get(v);
    if (known) return known;
    if (open.has(v)) return { nodes: 1, bytes: 0 };
    open.add(v);
    const total = { nodes: 1, bytes: 0 };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x) => ["", x]) : Object.entries(v);
    for (const [key, child] of entries) {
      const s = size(child);
      total.nodes += s.nodes + (key === "" ? 0 : 1);
      total.bytes += s.bytes + key.length;
    }
    open.delete(v);
    memo.set(v, total);
    return total;
  };
  return size(value);
}
