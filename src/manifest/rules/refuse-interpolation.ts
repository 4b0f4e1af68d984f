export const INTERPOLATION_MESSAGE =
  "variable interpolation (${VAR}) is not supported; write the value, or use env_file for host-specific values";

const STARTS_VARIABLE = /[{A-Za-z_]/;

export interface Unescaped {
  text: string;
  /** True when the text used `${VAR}` or `$VAR`, which gitdock refuses. */
  interpolates: boolean;
}

/**
 * gitdock runs unattended from Git, so a value that depends on whoever's shell runs it has no
 * meaning: `${VAR}` and `$VAR` are refused. Compose's `$$` escape becomes a literal `$`; a `$`
 * before anything that cannot start a variable (`5$`, `$1`) is literal, as in Compose.
 */
export function unescapeDollars(text: string): Unescaped {
  if (!text.includes("$")) return { text, interpolates: false };
  let out = "";
  let interpolates = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === "$" && next === "$") i++;
    else if (ch === "$" && next !== undefined && STARTS_VARIABLE.test(next)) interpolates = true;
    out += ch;
  }
  return { text: out, interpolates };
}
