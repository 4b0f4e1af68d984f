import { createHmac, randomBytes } from "node:crypto";
import { lstat, readFile } from "node:fs/promises";
import type { ManifestSection } from "../config/manifest-section.js";
import { HostInputError } from "../errors.js";
import { parseDotenv, type HostVariables } from "../manifest/index.js";
import { isUnderAny } from "../policy/host-paths.js";
import { touchesGuarded, type GuardedPaths } from "../policy/guarded-paths.js";
import { decryptVariablesFile } from "../manifest/load/decrypt-variables-file.js";
import { NO_IDENTITIES, type HostIdentities } from "../secrets/host-identities.js";

/** The host's variables for the projects of one commit, and a digest that changes when they do. */
export interface HostVariableFiles {
  variables: HostVariables;
  /** A keyed digest of every value read (never the values): part of the manifest cache's key. */
  digest: string;
}

/**
 * Reads `<variables_dir>/<project>.env` for each project, on the host, when the manifest is read
 * (every pass: a changed file takes effect at the next one). The directory must lie under
 * `security.policy.env_file_roots` (anything there is readable by a commit as an `env_file`
 * anyway, so these files give a commit nothing new) and no file may be one of the agent's own
 * (`/etc/gitdock/gitdock.env` holds the Git token; a commit names its projects). A missing file
 * means no variables; a file that is there but cannot be read, or is not a regular file, fails
 * the pass before anything changes (retried). Values never leave this object: errors name files
 * and line numbers only.
 */
export async function readHostVariables(
  projects: readonly string[],
  manifest: ManifestSection,
  envFileRoots: readonly string[],
  guarded: GuardedPaths,
  /** The host's keys: a variables file encrypted with SOPS or age is decrypted with them, in memory. */
  ids?: HostIdentities,
): Promise<HostVariableFiles> {
  const usable = isUnderAny(manifest.variablesDir, envFileRoots);
  const byProject = new Map<string, ReadonlyMap<string, string>>();
  const refused = new Map<string, string>();
  for (const project of projects) {
    const file = fileOf(manifest.variablesDir, project);
    const guard = touchesGuarded(file, guarded);
    if (!usable) refused.set(project, "not read: manifest.variables_dir is not under security.policy.env_file_roots");
    else if (guard !== undefined) refused.set(project, `not read: it is one of the agent's own files (${guard}); give the project another name`);
    else byProject.set(project, await readVariablesFile(file, ids));
  }
  const variables: HostVariables = {
    fileFor: (project) => {
      const reason = refused.get(project);
      return reason === undefined ? fileOf(manifest.variablesDir, project) : `${fileOf(manifest.variablesDir, project)} (${reason})`;
    },
    valuesFor: (project) => byProject.get(project) ?? new Map(),
  };
  return { variables, digest: digestOf(byProject) };
}

function fileOf(dir: string, project: string): string {
  return `${dir}/${project}.env`;
}

async function readVariablesFile(file: string, ids: HostIdentities | undefined): Promise<ReadonlyMap<string, string>> {
  const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw unreadable(file, err);
  });
  if (info === undefined) return new Map();
  if (!info.isFile()) {
    throw new HostInputError(`host variables file ${file} is not a regular file`, {
      hint: "Make it a plain file (mode 0600, owned by root); symlinks are not followed.",
    });
  }
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw unreadable(file, err);
  });
  const decrypted = await decryptVariablesFile(file, bytes, ids ?? NO_IDENTITIES);
  if (decrypted) return decrypted;
  const text = bytes.toString("utf8");
  const parsed = parseDotenv(text);
  const first = parsed.problems[0];
  if (first) throw new HostInputError(`${file}:${first.line}: ${first.message}`, { hint: "Fix the host variables file on this host." });
  return parsed.values;
}

function unreadable(file: string, err: NodeJS.ErrnoException): HostInputError {
  return new HostInputError(`host variables file ${file} cannot be read: ${err.code ?? err.message}`, {
    cause: err,
    hint: "Make it readable by the agent (mode 0600, owned by root), or remove it.",
  });
}

/**
 * The agent's cache of parsed manifests must notice a changed value without holding a plain hash of
 * it: an HMAC under a key made for this process, which is never written anywhere.
 */
const DIGEST_KEY = randomBytes(32);

function digestOf(byProject: ReadonlyMap<string, ReadonlyMap<string, string>>): string {
  const hmac = createHmac("sha256", DIGEST_KEY);
  for (const project of [...byProject.keys()].sort()) {
    const values = byProject.get(project) as ReadonlyMap<string, string>;
    hmac.update(JSON.stringify([project, [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));
  }
  return hmac.digest("hex");
}
