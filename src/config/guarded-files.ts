import { resolve } from "node:path";
import { storeDirOf } from "../manifest/files/store-layout.js";
import { guardedPaths, type GuardedPaths } from "../policy/guarded-paths.js";
import type { Settings } from "./settings.js";

/**
 * The agent's own files, which no commit may hand to a container (policy/guarded-paths.ts): its
 * config file, every credential and trust file it names, and its state directory (host.key, the
 * agent token, the clone). Relative paths are taken from the working directory, as the agent reads them.
 * The store of repository files inside the state directory is the one exception, read-only only.
 */
export function guardedFilesOf(settings: Settings): GuardedPaths {
  const files = [
    settings.configFile,
    settings.stateDir,
    settings.git.passwordFile,
    settings.registryAuth,
    settings.agent.webhook.secretFile,
    settings.report.notify?.secretFile,
    settings.security.verify.allowedSigners,
    settings.security.verify.openpgpKeyring,
    // Image signature trust: key files and pinned trusted roots.
    ...settings.security.policy.imageSignatures.flatMap((r) => [...r.keys.filter((k) => k.startsWith("/")), r.keyless?.trustedRoot]),
    // Decryption keys, and the tmpfs of decrypted files (a service mounts only its own, by exact path).
    settings.secrets?.ageIdentityFile,
    settings.secrets?.openpgpPrivateKeyFile,
    settings.secrets?.runtimeDir,
  ];
  return guardedPaths(
    files.map((f) => (f === undefined ? undefined : resolve(f))),
    [storeDirOf(settings.stateDir), ...(settings.secrets ? [settings.secrets.runtimeDir] : [])],
  );
}
