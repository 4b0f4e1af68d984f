import { createHmac } from "node:crypto";
import { posix } from "node:path";
import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import type { DecryptedFileObject, EncryptedFileUse, RepoEnvFile } from "../../model.js";
import type { Decryption } from "../../secrets/decrypt-file.js";
import { describeKind, inspectEncryptedFile, type EncryptedFile } from "../../secrets/inspect-encrypted-file.js";
import { SecretBytes } from "../../secrets/secret-bytes.js";
import { parseDotenv } from "../interpolate/parse-dotenv.js";

/** Where decrypted secret and config files live on the host unless the agent config says otherwise: a tmpfs. */
export const DEFAULT_SECRETS_RUNTIME_DIR = CONFIG_DEFAULTS.secrets.runtime_dir;

/** Decrypted secrets and configs: mode 0400 (owner-read only) unless the service asks for another. */
export const DECRYPTED_FILE_MODE = 0o400;

/**
 * What the manifest stage knows of the host's decryption (it decrypts nothing itself: the host
 * decrypted the commit's encrypted files before, in memory; see secrets/decrypt-commit-files.ts).
 */
export interface ManifestSecrets {
  /** The tmpfs directory decrypted files are mounted from. */
  runtimeDir: string;
  /** Names decrypted files by a digest of their content under this key (the host key's). */
  nameKey: Uint8Array;
  /** By repository path: each encrypted file's decryption; undefined where no key is at hand (validate without --identity, history). */
  decrypted: ReadonlyMap<string, Decryption> | undefined;
  /** This host's keys as an operator names them, for messages. */
  hostKeys: readonly string[];
}

/** A file's encryption as a stack met it, or the reason it cannot be used (a located error). */
export type Opened =
  { ok: true; file: EncryptedFile; decryption: Extract<Decryption, { ok: true }> | undefined } | { ok: false; file: EncryptedFile; error: string };

/** Judges an encrypted file named as `written`: its structure, then what the host's decryption said. */
export function openEncrypted(file: EncryptedFile, repoPath: string, written: string, secrets: ManifestSecrets | undefined): Opened {
  const what = `${written === repoPath ? repoPath : `"${written}" (${repoPath})`} is encrypted (${describeKind(file)})`;
  if (file.problems.length) return { ok: false, file, error: `${what} but cannot be used: ${file.problems.join("; ")}` };
  const decryption = secrets?.decrypted?.get(repoPath);
  if (secrets?.decrypted === undefined) return { ok: true, file, decryption: undefined };
  if (decryption === undefined) return { ok: false, file, error: `${what} but was not decrypted on this host` };
  if (decryption.ok) return { ok: true, file, decryption };
  if (decryption.reason === "no-key") {
    const mine = secrets.hostKeys.length
      ? `this host's keys: ${secrets.hostKeys.join(", ")}`
      : "this host has no keys (the agent config's secrets: section names none)";
    return {
      ok: false,
      file,
      error: `${what} for ${file.recipients.join(", ") || "no recipient gitdock can use"}, and this host holds none of their keys (${mine}); encrypt it for this host's recipient too (sops updatekeys, or sops --encrypt --age <recipient>)`,
    };
  }
  return { ok: false, file, error: `${what} and was refused: ${decryption.message}` };
}

/** An encrypted env_file: its decrypted variables (secrets), or none where it was not decrypted (validate). */
export function encryptedEnvFile(opened: Extract<Opened, { ok: true }>, repoPath: string, written: string): RepoEnvFile | { error: string } {
  if (!opened.decryption) return { repoPath, values: {}, secret: true };
  const { file } = opened.decryption;
  let variables = file.variables;
  if (opened.file.kind === "age" || opened.file.format === "binary") variables = dotenvVariables(file.content);
  if (variables === undefined)
    return {
      error: `env file "${written}" (${repoPath}) decrypts to a document with nested values; an env_file needs KEY=VALUE pairs (dotenv, or a flat YAML/JSON mapping)`,
    };
  const values: Record<string, string> = {};
  for (const [k, v] of variables) values[k] = v.text();
  return { repoPath, values, secret: true };
}

/** A decrypted age or binary file read as an env file (Compose's format, as every env file is); undefined when a line is not KEY=VALUE. */
function dotenvVariables(content: SecretBytes): ReadonlyMap<string, SecretBytes> | undefined {
  const parsed = parseDotenv(content.text());
  if (parsed.problems.length > 0) return undefined;
  return new Map([...parsed.values].map(([key, value]) => [key, new SecretBytes(Buffer.from(value, "utf8"))]));
}

/**
 * The decrypted file a service mounts, with the mode and owner it asks for (default 0400, root).
 * Its name is a keyed digest of content, mode and owner, so it changes exactly when one of them
 * does (the services that mount it are replaced) and says nothing about the content without the
 * host key. Where the file was not decrypted (validate), the name stands for the file and its attributes.
 */
export function decryptedObject(
  secrets: ManifestSecrets,
  opened: Extract<Opened, { ok: true }>,
  repoPath: string,
  attrs: { mode?: number | undefined; uid?: number | undefined; gid?: number | undefined },
): DecryptedFileObject {
  const mode = attrs.mode ?? DECRYPTED_FILE_MODE;
  const content = opened.decryption?.file.content ?? new SecretBytes(new Uint8Array());
  const hmac = createHmac("sha256", secrets.nameKey).update("gitdock-decrypted-file\0");
  if (opened.decryption) hmac.update(content.bytes());
  else hmac.update(`undecrypted\0${repoPath}`);
  const digest = hmac.digest("hex").slice(0, 40);
  const owner = attrs.uid === undefined && attrs.gid === undefined ? "" : `.${attrs.uid ?? "-"}.${attrs.gid ?? "-"}`;
  const name = `${digest}.${mode.toString(8).padStart(4, "0")}${owner}`;
  return { store: secrets.runtimeDir, name, content, mode, uid: attrs.uid, gid: attrs.gid, repoPath };
}

export function pathOfDecrypted(o: DecryptedFileObject): string {
  return posix.join(o.store, o.name);
}

/** Records that a service (or the stack, for a variables file) uses an encrypted file. */
export function recordUse(
  uses: Map<string, EncryptedFileUse>,
  opened: Opened,
  repoPath: string,
  usedAs: EncryptedFileUse["usedAs"],
  service: string | undefined,
): void {
  const known = uses.get(repoPath);
  const decrypted = opened.ok ? (opened.decryption ? true : undefined) : false;
  const use: EncryptedFileUse = known ?? {
    repoPath,
    kind: opened.file.kind,
    format: opened.file.format,
    recipients: opened.file.recipients,
    usedAs,
    services: [],
    ...(decrypted === undefined ? {} : { decrypted }),
  };
  if (service !== undefined && !use.services.includes(service)) use.services = [...use.services, service].sort();
  uses.set(repoPath, use);
}

/** Inspections by repository path, once per commit. */
export class EncryptedInspections {
  private readonly known = new Map<string, EncryptedFile | undefined>();

  inspect(repoPath: string, bytes: Uint8Array): EncryptedFile | undefined {
    if (!this.known.has(repoPath)) this.known.set(repoPath, inspectEncryptedFile(bytes));
    return this.known.get(repoPath);
  }
}
