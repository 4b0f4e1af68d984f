/**
 * Compose's env-file format, the one parser for every such file gitdock reads: the stack's `.env`
 * (for interpolation), `env_file` in the repository or on the host (an age or binary SOPS one once
 * decrypted; SOPS's dotenv keeps its own format), the host variables file and `validate --env-file`. `KEY=VALUE` lines, `export KEY=VALUE`, `#`
 * comment lines, a ` #` comment after an unquoted value, `'single'` quotes (literal) and
 * `"double"` quotes (with `\n`, `\t`, `\"`, `\\` escapes). Values are taken literally: a `${X}`
 * inside a value stays as it is. A line gitdock cannot read is reported by its number only, never
 * its text: the file may hold secrets.
 */

export interface DotenvResult {
  values: Map<string, string>;
  problems: { line: number; message: string }[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", $: "$" };

export function parseDotenv(text: string): DotenvResult {
  const values = new Map<string, string>();
  const problems: DotenvResult["problems"] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, "").trim();
    if (eq < 0 || !KEY.test(key)) {
      problems.push({ line: index + 1, message: "expected KEY=VALUE (a name of letters, digits, _, . and -, then =)" });
      return;
    }
    const value = parseValue(line.slice(eq + 1).trim());
    if (value === undefined) problems.push({ line: index + 1, message: "a quoted value is not closed on its line" });
    else values.set(key, value);
  });
  return { values, problems };
}

function parseValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === "'") {
    const end = text.indexOf("'", 1);
    return end < 0 ? undefined : text.slice(1, end);
  }
  if (quote === '"') return doubleQuoted(text);
  const comment = text.search(/\s#/);
  return (comment < 0 ? text : text.slice(0, comment)).trim();
}

function doubleQuoted(text: string): string | undefined {
  let out = "";
  for (let i = 1; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') return out;
    if (ch === "\\" && i + 1 < text.length) {
      const next = text[i + 1] as string;
      out += Object.hasOwn(ESCAPES, next) ? ESCAPES[next] : `\\${next}`;
      i++;
    } else {
      out += ch;
    }
  }
  return undefined;
}
