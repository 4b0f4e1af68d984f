/**
 * A SOPS document as SOPS itself sees it (its `TreeBranch`): ordered mappings and lists whose
 * leaves are typed scalars, with comments kept as items in place, because which values are
 * encrypted can depend on the comments above them, and the MAC covers the values in order.
 * Strings are bytes: a decrypted value is whatever was encrypted (a binary file's content too),
 * and the MAC is computed over exactly those bytes.
 */
export type SopsLeaf =
  | { kind: "str"; bytes: Uint8Array }
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "null" };

/** A comment line, as its text after `#`. */
export interface SopsComment {
  kind: "comment";
  text: string;
}

export interface SopsMap {
  kind: "map";
  items: SopsMapItem[];
}

export type SopsMapItem = { key: string; value: SopsValue } | SopsComment;

export interface SopsList {
  kind: "list";
  items: (SopsValue | SopsComment)[];
}

export type SopsValue = SopsLeaf | SopsMap | SopsList;

/** One document of the file: YAML may hold several; JSON, dotenv and binary one. */
export type SopsBranches = SopsMap[];

export function isComment(v: SopsValue | SopsComment | SopsMapItem): v is SopsComment {
  return "kind" in v && v.kind === "comment";
}

/** A leaf's value as text (for environment values and messages about plain values). */
export function leafText(leaf: SopsLeaf): string {
  switch (leaf.kind) {
    case "str":
    case "bytes":
      return Buffer.from(leaf.bytes).toString("utf8");
    case "int":
      return leaf.value.toString();
    case "float":
      return formatFloat(leaf.value);
    case "bool":
      return leaf.value ? "true" : "false";
    case "null":
      return "";
  }
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back as `v`, never in
 * exponent form. JavaScript's String(v) gives the same digits, with an exponent past 1e21 or below
 * 1e-6, which is written out here.
 */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
  const text = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, lead, frac = "", exp] = m;
  const digits = `${lead}${frac}`;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
