/**
 * Compose byte sizes (docker/go-units `RAMInBytes`): a number with an optional binary unit,
 * `b`, `k`/`kb`/`kib`, `m`, `g`, `t`, `p`, any case. `512m` is 512 MiB.
 */
export const BYTE_SIZE_PATTERN = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP]?)((?:[iI]?[bB])?)$/;

const UNIT_POWER: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/** Bytes, or undefined when the value is not a size. Whole numbers are bytes already. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = BYTE_SIZE_PATTERN.exec(value);
  if (!match) return undefined;
  const power = UNIT_POWER[(match[2] ?? "").toLowerCase()] ?? 0;
  return Math.floor(Number(match[1]) * 1024 ** power);
}
