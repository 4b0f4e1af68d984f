import { parseSshPublicKey, type SshPublicKey } from "./ssh-public-key.js";

/**
 * The `allowed_signers` file of `ssh-keygen -Y verify` and git's `gpg.ssh.allowedSignersFile`
 * (ssh-keygen(1), "ALLOWED SIGNERS"): one key per line,
 *
 *   principals [options] keytype base64-key [comment]
 *
 * with `#` comments. Options: `namespaces="git,file"`, `valid-after="20240101"`,
 * `valid-before="20261231Z"` and `cert-authority`. Certificate authorities are not supported:
 * such lines are skipped and reported, as are malformed ones, so one bad line never hides the
 * others (and never silently trusts anything).
 */
export interface AllowedSigner {
  /** Principal patterns, e.g. `alice@example.com` or `*@example.com`. */
  principals: string[];
  /** Namespace patterns; undefined means any namespace. */
  namespaces: string[] | undefined;
  validAfter: Date | undefined;
  validBefore: Date | undefined;
  key: SshPublicKey;
  /** 1-based line in the file. */
  line: number;
}

export interface AllowedSignersFile {
  signers: AllowedSigner[];
  problems: { line: number; message: string }[];
}

export function parseAllowedSigners(text: string): AllowedSignersFile {
  const out: AllowedSignersFile = { signers: [], problems: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const parsed = parseLine(line, i + 1);
    if ("message" in parsed) out.problems.push({ line: i + 1, message: parsed.message });
    else out.signers.push(parsed);
  });
  return out;
}

/** The signers whose key is `key` and who may sign in `namespace` at `when`. */
export function findSigners(file: AllowedSignersFile, key: SshPublicKey, namespace: string, when: Date): AllowedSigner[] {
  return file.signers.filter(
    (s) =>
      s.key.blob.equals(key.blob) &&
      (s.namespaces === undefined || matchesPatternList(namespace, s.namespaces)) &&
      (s.validAfter === undefined || when >= s.validAfter) &&
      (s.validBefore === undefined || when <= s.validBefore),
  );
}

function parseLine(line: string, lineNo: number): AllowedSigner | { message: string } {
  const fields = splitFields(line);
  if (fields === undefined) return { message: "unbalanced quotes" };
  const [principalField, second, ...rest] = fields;
  if (principalField === undefined || second === undefined) return { message: "expected: principals [options] keytype base64-key" };
  const hasOptions = !isKeyType(second);
  const optionField = hasOptions ? second : undefined;
  const [keyType, base64] = hasOptions ? rest : [second, rest[0]];
  if (keyType === undefined || base64 === undefined) return { message: "expected: principals [options] keytype base64-key" };
  const options = optionField === undefined ? {} : parseOptions(optionField);
  if ("message" in options) return options;
  if (options.certAuthority) return { message: "cert-authority lines are not supported; list each signer's key" };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return { message: "the key is not base64" };
  let key: SshPublicKey;
  try {
    key = parseSshPublicKey(Buffer.from(base64, "base64"));
  } catch (err) {
    return { message: `unusable key: ${(err as Error).message}` };
  }
  if (key.type !== keyType) return { message: `key type ${keyType} does not match the key (${key.type})` };
  const principals = unquote(principalField)
    .split(",")
    .filter((p) => p !== "");
  if (principals.length === 0) return { message: "no principals" };
  return { principals, namespaces: options.namespaces, validAfter: options.validAfter, validBefore: options.validBefore, key, line: lineNo };
}

interface Options {
  namespaces?: string[];
  validAfter?: Date;
  validBefore?: Date;
  certAuthority?: boolean;
}

function parseOptions(field: string): Options | { message: string } {
  const out: Options = {};
  for (const opt of splitOutsideQuotes(field, ",")) {
    const eq = opt.indexOf("=");
    const name = (eq < 0 ? opt : opt.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : unquote(opt.slice(eq + 1));
    if (name === "cert-authority" && value === undefined) out.certAuthority = true;
    else if (name === "namespaces" && value !== undefined) out.namespaces = value.split(",").filter((n) => n !== "");
    else if ((name === "valid-after" || name === "valid-before") && value !== undefined) {
      const date = parseTimestamp(value);
      if (!date) return { message: `${name}: "${value}" is not YYYYMMDD[HHMM[SS]][Z]` };
      if (name === "valid-after") out.validAfter = date;
      else out.validBefore = date;
    } else {
      return { message: `unknown option "${name}"` };
    }
  }
  return out;
}

/** ssh-keygen's timestamps: YYYYMMDD or YYYYMMDDHHMM[SS], UTC with a trailing Z, else local time. */
export function parseTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/i.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", z] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const date = z ? new Date(Date.UTC(...parts)) : new Date(...parts);
  // Date rolls 20240231 over into March; a calendar date that does not exist is an error.
  const day = z ? date.getUTCDate() : date.getDate();
  const month = z ? date.getUTCMonth() : date.getMonth();
  if (day !== parts[2] || month !== parts[1] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return undefined;
  return date;
}

function isKeyType(field: string): boolean {
  return /^(?:ssh-|ecdsa-sha2-|sk-)/.test(field);
}

/** ssh's pattern lists: `*` and `?` wildcards, `!` negates; a negated match wins. */
export function matchesPatternList(value: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith("!");
    if (globMatch(value, negated ? p.slice(1) : p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(value: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

/** Whitespace-separated fields; double quotes group (the principals and options may be quoted). */
function splitFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (current) fields.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (quoted) return undefined;
  if (current) fields.push(current);
  return fields;
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === sep) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.filter((p) => p !== "");
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}
