import { byCodePoint } from "../../order.js";

/** A record with keys in code-point order. Later entries win, as in Compose's list forms. */
export function sortedRecord(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const map = new Map(entries);
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => byCodePoint(a, b)));
}

/** Sorted and without repeats, for sets written as lists (capabilities, aliases). */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byCodePoint);
}
