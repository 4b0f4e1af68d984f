import type { SopsMap, SopsMapItem } from "./sops-tree.js";

/**
 * A dotenv file as SOPS's dotenv store reads it: one `KEY=VALUE` per line (split at the first "="),
 * values taken literally but for `\n`, which stands for a line break; `#` lines are comments; empty
 * lines are skipped. The `sops_*` keys hold the metadata, flattened.
 */
export function readDotenvTree(text: string): { branch: SopsMap; metadata: Record<string, string>; problems: string[] } {
  const items: SopsMapItem[] = [];
  const flat: Record<string, string> = {};
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.length === 0) return;
    if (line.startsWith("#")) {
      items.push({ kind: "comment", text: line.slice(1) });
      return;
    }
    const eq = line.indexOf("=");
    if (eq === -1) {
      problems.push(`line ${i + 1} is not KEY=VALUE`);
      return;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll("\\n", "\n");
    if (key.startsWith("sops_")) flat[key.slice(5)] = value;
    else items.push({ key, value: { kind: "str", bytes: Buffer.from(value, "utf8") } });
  });
  return { branch: { kind: "map", items }, metadata: unflatten(flat), problems };
}

/** SOPS's flattened metadata keys (`age__list_0__map_recipient`) made back into lists and mappings. */
export function unflatten(flat: Record<string, string>): Record<string, string> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const tokens = key.split(/(?=__(?:map|list)_)/).map((t) => (t.startsWith("__list_") ? Number(t.slice(7)) : t.startsWith("__map_") ? t.slice(6) : t));
    let node: Record<string | number, unknown> = out;
    tokens.forEach((token, i) => {
      if (i === tokens.length - 1) {
        node[token] = value;
        return;
      }
      const next = tokens[i + 1];
      node[token] ??= typeof next === "number" ? [] : {};
      node = node[token] as Record<string | number, unknown>;
    });
  }
  return out as Record<string, string>;
}
