import { randomBytes } from "node:crypto";
import { repoFileSettingsOf } from "../config/files-section.js";
import type { Settings } from "../config/settings.js";
import { guardedFilesOf } from "../config/guarded-files.js";
import { loadManifest, manifestProjects, type ManifestSources } from "../manifest/index.js";
import type { RepoTree } from "../manifest/repo-tree.js";
import type { DesiredStack } from "../model.js";
import { readHostVariables, type HostVariableFiles } from "../observe/read-host-variables.js";
import { readCommitTree } from "../source/index.js";
import { decryptCommitFiles, manifestSecretsOf } from "../manifest/files/decrypt-commit-files.js";
import { loadHostIdentities, type HostIdentities } from "../secrets/host-identities.js";
import { hostKeyId } from "../plan/spec-hash.js";

interface CommitManifest {
  stacks: DesiredStack[];
  sources: ManifestSources;
  /** The host's directory of the commit, read whole (files the stacks mount come from it). */
  tree: RepoTree;
}

interface CommitTree {
  tree: RepoTree;
  /** The stacks' project names: which host variables files to read. */
  projects: string[];
}

/** Commits polled most recently; a few, since a pass reads the target and the last good commit. */
const KEEP = 4;
const trees = new Map<string, Promise<CommitTree>>();
const manifests = new Map<string, Promise<CommitManifest>>();

/**
 * A commit's manifest as this host reads it. The commit's tree never changes, so it is read once;
 * what the host contributes (its variables files, the agent's environment when allowed, the active
 * profiles, where it keeps files of the repository and data directories) is read on every pass,
 * and the parsed manifest is kept per commit and per those inputs (a keyed digest of the
 * variables, never their values): a changed variables file takes effect at the next pass, and an
 * unchanged one costs no parsing (parsing was most of an idle agent's CPU).
 * Only valid results are kept; callers must treat the returned stacks as read-only. Env files on
 * the host and secrets are not part of this: they are read when the plan is made.
 */
export async function readCommitManifest(gitdir: string, commit: string, settings: Settings, hostKey?: Buffer): Promise<CommitManifest> {
  const { tree, host, ids, key } = await manifestInputs(gitdir, commit, settings, hostKey);
  return remember(manifests, key, async () => {
    // Encrypted files are decrypted in memory with this host's keys; the parsed manifest keeps what it uses.
    const decrypted = await decryptCommitFiles(tree, settings.path, ids);
    const inputs = {
      secrets: manifestSecretsOf(decrypted, ids, settings.secrets.runtimeDir, hostKey ?? PROCESS_NAME_KEY),
      hostVariables: host.variables,
      profiles: settings.manifest.profiles,
      engine: settings.engine,
      files: repoFileSettingsOf(settings),
      ...(settings.manifest.processEnvironment ? { processEnvironment: process.env } : {}),
    };
    return { ...loadManifest(tree, inputs), tree };
  });
}

/** What the manifest of `commit` depends on besides the commit: part of any cache of a verdict about it. */
export async function commitManifestKey(gitdir: string, commit: string, settings: Settings, hostKey?: Buffer): Promise<string> {
  return (await manifestInputs(gitdir, commit, settings, hostKey)).key;
}

async function manifestInputs(
  gitdir: string,
  commit: string,
  settings: Settings,
  hostKey: Buffer | undefined,
): Promise<{ tree: RepoTree; host: HostVariableFiles; ids: HostIdentities; key: string }> {
  const root = settings.path;
  const processEnvironment = settings.manifest.processEnvironment ? process.env : undefined;
  const { tree, projects } = await remember(trees, `${gitdir}\0${commit}\0${root}`, async () => {
    const read = await readCommitTree(gitdir, commit, root);
    return { tree: read, projects: manifestProjects(read, processEnvironment ? { processEnvironment } : {}) };
  });
  // The host's keys (re-read every pass: a key added or removed takes effect at the next one) decide what decrypts.
  const ids = await identitiesOf(settings);
  const host = await readHostVariables(projects, settings.manifest, settings.security.policy.envFileRoots, guardedFilesOf(settings), ids);
  // The store's and data root's paths end up in the stacks' mounts: they shape the result too.
  const files = repoFileSettingsOf(settings);
  const secrets = [ids.digest, settings.secrets.runtimeDir, hostKey ? hostKeyId(hostKey) : "-"].join("\0");
  const key = [
    gitdir,
    commit,
    root,
    host.digest,
    settings.manifest.profiles.join(","),
    settings.engine,
    processEnvironment ? "process" : "-",
    files.store,
    files.dataRoot,
    secrets,
  ].join("\0");
  return { tree, host, ids, key };
}

/** Without the host key (a caller outside the pass), decrypted files are named under a key of this process. */
const PROCESS_NAME_KEY = randomBytes(32);

function identitiesOf(settings: Settings): Promise<HostIdentities> {
  return loadHostIdentities(settings.secrets);
}

function remember<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let entry = cache.get(key);
  if (!entry) {
    entry = make();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
    while (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}
