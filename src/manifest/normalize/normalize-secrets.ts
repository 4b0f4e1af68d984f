import type { SecretSpec, ServiceSecret } from "../../model.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { SecretInput } from "../schema/compose-schema.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { byCodePoint } from "../../order.js";

/** Where Compose mounts file secrets, and so does gitdock. */
export const SECRETS_DIR = "/run/secrets";

const SECRET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Top-level `secrets:` with `file:` sources. The file is read on the host when gitdock plans (like
 * env_file), so it must be an absolute host path: a path relative to a checkout means nothing here.
 */
export function normalizeStackSecrets(input: [string, SecretInput][], problems: ProblemSink): SecretSpec[] {
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
      scopedSink(problems, [key, "file"]).report([], `relative path "${secret.file}" is not supported: secrets are read on the host, so use an absolute host path`);
      continue;
    }
    out.push({ key, file: secret.file });
  }
  return out.sort((a, b) => byCodePoint(a.key, b.key));
}

/** A service's `secrets:`, each resolved to its declared file, sorted by target (the mount point). */
export function normalizeServiceSecrets(
  input: ServiceInput["secrets"],
  files: ReadonlyMap<string, string | undefined>,
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
    if (targets.has(target)) problems.report([i], `another secret is already mounted at ${SECRETS_DIR}/${target}`);
    targets.add(target);
    const file = files.get(source);
    if (file !== undefined) out.push({ source, target, file });
  }
  return out.sort((a, b) => byCodePoint(a.target, b.target));
}
