import type { SecretSpec, ServiceSecret } from "../../model.js";
import type { StackFiles } from "../files/commit-files.js";
import { parseFileMode } from "../parse/parse-file-mode.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { SecretInput } from "../schema/compose-schema.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { WrittenScalar } from "../yaml/written-scalar.js";
import { byCodePoint } from "../../order.js";

/** Where Compose mounts file secrets, and so does gitdock. */
export const SECRETS_DIR = "/run/secrets";

const SECRET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Top-level `secrets:` with `file:` sources. The file is read on the host when gitdock plans (like
 * env_file), so it must be an absolute host path. A relative path that names a file committed to
 * the repository is a secret in plain text in Git: refused, whatever else the commit says.
 * `files` is the stack's top-level `secrets:`.
 */
export function normalizeStackSecrets(input: [string, SecretInput][], files: StackFiles, problems: ProblemSink): SecretSpec[] {
  const out: SecretSpec[] = [];
  for (const [key, secret] of input) {
    if (!SECRET_NAME.test(key)) {
      // The key is the default file name under /run/secrets: no "/", no "." or "..".
      problems.report([key], `"${key}" can only contain letters, digits, ".", "_" and "-", and must start with a letter or digit`, "key");
      continue;
    }
    // Salvaged parts of an invalid declaration can lack `file`; the schema has reported that.
    if (typeof secret.file !== "string") continue;
    if (!secret.file.startsWith("/")) {
      const encrypted = encryptedSecretFile(secret.file, files.under([key, "file"]));
      if (encrypted !== undefined) out.push({ key, file: encrypted, encrypted });
      else scopedSink(problems, [key, "file"]).report([], relativeSecretMessage(secret.file, files.under([key, "file"])));
      continue;
    }
    out.push({ key, file: secret.file });
  }
  return out.sort((a, b) => byCodePoint(a.key, b.key));
}

/** A relative secret file committed encrypted (SOPS or age): its repository path; decrypted on the host. */
function encryptedSecretFile(file: string, files: StackFiles): string | undefined {
  const committed = files.committedFile(file, []);
  return committed !== undefined && files.isEncrypted(committed) ? committed : undefined;
}

function relativeSecretMessage(file: string, files: StackFiles): string {
  const committed = files.committedFile(file, []);
  if (committed !== undefined) {
    return `"${file}" is a file committed to the repository (${committed}) in plain text: a secret must never be in Git unencrypted; rotate it, then encrypt it for each host (\`sops --encrypt --age <host recipient> --in-place ${committed}\`, or \`age -r <host recipient> -o ${committed}.age\` and name that file), or keep it on the host under the policy's secret_roots and write its absolute path`;
  }
  return `relative path "${file}" is not supported: secrets are read on the host, so use an absolute host path`;
}

/**
 * A service's `secrets:`, each resolved to its declared file, sorted by target (the mount point:
 * a name under /run/secrets, or an absolute path). `uid`, `gid` and `mode` are what the host file
 * must have (it is mounted as it is).
 */
export function normalizeServiceSecrets(
  input: ServiceInput["secrets"],
  files: ReadonlyMap<string, string | undefined>,
  written: WrittenScalar,
  problems: ProblemSink,
  encrypted?: { byKey: ReadonlyMap<string, string>; files: StackFiles },
): ServiceSecret[] {
  const out: ServiceSecret[] = [];
  const targets = new Set<string>();
  for (const [i, entry] of (input ?? []).entries()) {
    const source = typeof entry === "string" ? entry : entry.source;
    const target = typeof entry === "string" ? entry : (entry.target ?? entry.source);
    const at = typeof entry === "string" ? [i] : [i, "source"];
    if (!files.has(source)) {
      problems.report(at, `secret "${source}" is not declared under the top-level secrets:`);
      continue;
    }
    if (targets.has(secretMountPath(target))) problems.report([i], `another secret is already mounted at ${secretMountPath(target)}`);
    targets.add(secretMountPath(target));
    const expect = typeof entry === "string" ? undefined : expectedAttributes(entry, (p) => written([i, ...p]), scopedSink(problems, [i]));
    const repoPath = encrypted?.byKey.get(source);
    if (repoPath !== undefined && encrypted) {
      // Decrypted by gitdock, so the mode and owner asked for are given to the file, not checked.
      const decrypted = encrypted.files.decryptedFile(repoPath, expect ?? {}, "secret");
      if (decrypted === undefined || typeof decrypted !== "string") problems.report(at, decrypted?.error ?? `secret "${source}" is no longer encrypted`);
      else out.push({ source, target, file: decrypted, encrypted: repoPath });
      continue;
    }
    const file = files.get(source);
    if (file !== undefined) out.push({ source, target, file, ...(expect ? { expect } : {}) });
  }
  return out.sort((a, b) => byCodePoint(a.target, b.target));
}

/** Where a secret is mounted: `/run/secrets/<target>`, or the target itself when it is absolute. */
export function secretMountPath(target: string): string {
  return target.startsWith("/") ? target : `${SECRETS_DIR}/${target}`;
}

type LongSecret = Exclude<NonNullable<ServiceInput["secrets"]>[number], string>;

function expectedAttributes(entry: LongSecret, written: WrittenScalar, problems: ProblemSink): ServiceSecret["expect"] {
  const expect: NonNullable<ServiceSecret["expect"]> = {};
  if (entry.uid !== undefined) expect.uid = Number(entry.uid);
  if (entry.gid !== undefined) expect.gid = Number(entry.gid);
  if (entry.mode !== undefined) {
    const parsed = parseFileMode(entry.mode, written(["mode"]));
    if ("error" in parsed) problems.report(["mode"], parsed.error);
    else expect.mode = parsed.mode;
  }
  return Object.keys(expect).length ? expect : undefined;
}
