/**
 * Code-point order: the same on every machine, unlike `localeCompare`, so spec hashes and printed
 * plans stay stable. It also keeps ICU's collation data (several MB of the Node binary) out of an
 * idle agent's memory.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
