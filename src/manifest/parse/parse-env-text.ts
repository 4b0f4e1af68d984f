/**
 * The Compose env-file format: KEY=VALUE lines, `#` comments, an optional `export `, optional
 * matching quotes. Pure, for files on the host (observe/) and files in the repository (manifest/).
 * A bad line is reported by its number only: the line itself may hold a secret.
 */
export type EnvTextResult = { values: Record<string, string> } | { badLine: number };

export function parseEnvText(text: string): EnvTextResult {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, "").trim();
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) return { badLine: i + 1 };
    values[key] = unquote(line.slice(eq + 1).trim());
  }
  return { values };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1);
  }
  return v;
}
