import { isEncryptedText, parseEncryptedValue } from "./encrypted-value.js";

/**
 * The `sops` metadata of a document: who the data key is wrapped for, which values are encrypted,
 * and the encrypted MAC. Read from plain data (the YAML or JSON `sops` mapping, or dotenv's
 * flattened `sops_*` keys made back into one), checked for what gitdock needs without any key.
 */
export interface SopsMetadata {
  version: string | undefined;
  /** `lastmodified` as written: the MAC's additional data (in RFC 3339, as SOPS formats it). */
  lastModified: string;
  /** The encrypted MAC (`ENC[...]`); "" when missing. */
  mac: string;
  macOnlyEncrypted: boolean;
  /** Which values are encrypted; SOPS's default is the unencrypted suffix `_unencrypted`. */
  rule: SelectionRule;
  age: AgeRecipientEntry[];
  pgp: PgpRecipientEntry[];
  /** Key services gitdock does not use (kms, gcp_kms, azure_kv, hc_vault, ...), described. */
  otherKeys: string[];
  /** More than one key group: the data key is split with Shamir's scheme. */
  keyGroups: number;
}

export interface AgeRecipientEntry {
  recipient: string;
  /** The data key, age-encrypted for `recipient`, armored. */
  enc: string;
}

export interface PgpRecipientEntry {
  /** The key's fingerprint, as written (hex). */
  fp: string;
  /** The data key, OpenPGP-encrypted, armored. */
  enc: string;
}

export type SelectionRuleKind =
  "unencrypted_suffix" | "encrypted_suffix" | "unencrypted_regex" | "encrypted_regex" | "unencrypted_comment_regex" | "encrypted_comment_regex";

export interface SelectionRule {
  kind: SelectionRuleKind;
  value: string;
}

export const RULE_KINDS: readonly SelectionRuleKind[] = [
  "unencrypted_suffix",
  "encrypted_suffix",
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
];

const KEY_SERVICES = ["kms", "gcp_kms", "azure_kv", "hc_vault"];

/** The metadata, and every problem of its structure (empty when it is usable). */
export function readSopsMetadata(raw: unknown): { metadata: SopsMetadata; problems: string[] } {
  const problems: string[] = [];
  const m = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) problems.push("the sops metadata is not a mapping");
  const groups = keyGroupsOf(m, problems);
  const metadata: SopsMetadata = {
    version: typeof m["version"] === "string" ? m["version"] : undefined,
    lastModified: typeof m["lastmodified"] === "string" ? m["lastmodified"] : "",
    mac: typeof m["mac"] === "string" ? m["mac"] : "",
    macOnlyEncrypted: m["mac_only_encrypted"] === true || m["mac_only_encrypted"] === "true",
    rule: ruleOf(m, problems),
    age: groups.flatMap((g) => ageEntries(g["age"], problems)),
    pgp: groups.flatMap((g) => pgpEntries(g["pgp"], problems)),
    otherKeys: groups.flatMap((g) => KEY_SERVICES.flatMap((k) => (Array.isArray(g[k]) ? g[k].map(() => k) : []))),
    keyGroups: groups.length,
  };
  if (metadata.lastModified === "" || parseLastModified(metadata.lastModified) === undefined) {
    problems.push("sops.lastmodified is missing or not an RFC 3339 time");
  }
  if (metadata.mac === "") problems.push("the file has no MAC (sops.mac): it was not written by `sops --encrypt`, or the MAC was removed");
  else if (!isEncryptedText(metadata.mac) || "error" in parseEncryptedValue(metadata.mac)) problems.push("sops.mac is not an encrypted value");
  if (metadata.age.length === 0 && metadata.pgp.length === 0) {
    problems.push(
      metadata.otherKeys.length
        ? `the data key is wrapped only for ${[...new Set(metadata.otherKeys)].join(", ")}, which gitdock does not use; add an age or OpenPGP recipient (sops updatekeys)`
        : "the file names no recipients (no age or pgp keys)",
    );
  }
  return { metadata, problems };
}

/** The top-level key lists, or the `key_groups` (each a mapping with the same lists). */
function keyGroupsOf(m: Record<string, unknown>, problems: string[]): Record<string, unknown>[] {
  const groups = m["key_groups"];
  if (!Array.isArray(groups) || groups.length === 0) return [m];
  if (!groups.every(isRecord)) {
    problems.push("sops.key_groups is not a list of mappings");
    return [];
  }
  if (groups.length > 1) problems.push("the data key is split across several key groups (Shamir's scheme), which gitdock does not support; use one key group");
  return groups;
}

function ruleOf(m: Record<string, unknown>, problems: string[]): SelectionRule {
  const given = RULE_KINDS.filter((k) => typeof m[k] === "string" && m[k] !== "");
  if (given.length > 1) problems.push(`more than one of ${given.join(", ")} is set; SOPS allows one`);
  const kind = given[0];
  if (kind === undefined) return { kind: "unencrypted_suffix", value: "_unencrypted" };
  const value = m[kind] as string;
  if (kind.endsWith("_regex") && !compiles(value)) problems.push(`sops.${kind} is not a regular expression gitdock can use`);
  return { kind, value };
}

function ageEntries(list: unknown, problems: string[]): AgeRecipientEntry[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    problems.push("sops.age is not a list");
    return [];
  }
  return list.flatMap((e, i) => {
    const recipient = isRecord(e) && typeof e["recipient"] === "string" ? e["recipient"].trim() : "";
    const enc = isRecord(e) && typeof e["enc"] === "string" ? e["enc"] : "";
    if (!recipient.startsWith("age1") && !recipient.startsWith("ssh-")) problems.push(`sops.age[${i}].recipient is not an age recipient`);
    if (!enc.includes("-----BEGIN AGE ENCRYPTED FILE-----")) problems.push(`sops.age[${i}].enc is not an armored age file`);
    return recipient && enc ? [{ recipient, enc }] : [];
  });
}

function pgpEntries(list: unknown, problems: string[]): PgpRecipientEntry[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    problems.push("sops.pgp is not a list");
    return [];
  }
  return list.flatMap((e, i) => {
    const fp = isRecord(e) && typeof e["fp"] === "string" ? e["fp"].trim() : "";
    const enc = isRecord(e) && typeof e["enc"] === "string" ? e["enc"] : "";
    if (!/^[0-9A-Fa-f]{16,64}$/.test(fp)) problems.push(`sops.pgp[${i}].fp is not a key fingerprint`);
    if (!enc.includes("-----BEGIN PGP MESSAGE-----")) problems.push(`sops.pgp[${i}].enc is not an armored OpenPGP message`);
    return fp && enc ? [{ fp: fp.toUpperCase(), enc }] : [];
  });
}

/**
 * `lastmodified` as SOPS formats it for the MAC's additional data: Go parses it as RFC 3339 and
 * prints it back with `time.RFC3339`, which drops fractional seconds and writes a zero offset as
 * "Z". Undefined when it is not RFC 3339.
 */
export function parseLastModified(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const [, stamp = "", zone = ""] = m;
  const offset = /^[+-]00:00$/.test(zone) || zone.toUpperCase() === "Z" ? "Z" : zone;
  return `${stamp.replace("t", "T")}${offset}`;
}

/** Everything the data key is wrapped for, as an operator would name the keys. */
export function describeRecipients(metadata: SopsMetadata): string[] {
  return [
    ...metadata.age.map((a) => `age ${a.recipient}`),
    ...metadata.pgp.map((p) => `pgp ${p.fp}`),
    ...[...new Set(metadata.otherKeys)].map((k) => `${k} (not used by gitdock)`),
  ];
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
