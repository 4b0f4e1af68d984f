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
      scopedSink(problems, [key, "file"]).report([], relativeSecretMessage(secret.file, files.under([key, "file"])));
      continue;
    }
    out.push({ key, file: secret.file });
  }
  return out.sort((a, b) => byCodePoint(a.key, b.key));
}

function relativeSecretMessage(file: string, files: StackFiles): string {
  const committed = files.committedFile(file, []);
  if (committed !== undefined) {
    return `"${file}" is a file committed to the repository (${committed}): a secret must never be in Git in plain text; remove it from the repository (and rotate it), keep it on the host under the policy's secret_roots and write its absolute path, or encrypt it`;
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
