import type { RepoFileSettings } from "../files/index.js";
import { loadManifest, type ManifestSources } from "../manifest/index.js";
import type { RepoTree } from "../manifest/repo-tree.js";
import type { DesiredStack } from "../model.js";
import { composeFilesOf, readCommitTree } from "../source/index.js";

interface CommitManifest {
  stacks: DesiredStack[];
  sources: ManifestSources;
  /** The host's directory of the commit, read whole (files the stacks mount come from it). */
  tree: RepoTree;
}

/** Commits polled most recently; a few, since a pass reads the target and the last good commit. */
const KEEP = 4;
const cache = new Map<string, Promise<CommitManifest>>();

/**
 * A commit's manifest never changes, so the agent parses and validates it once, not on every poll
 * (parsing was most of an idle agent's CPU). Only valid results are kept; callers must treat the
 * returned stacks as read-only. Host inputs (env files, secrets) are not part of this: they are
 * read on every pass. `files` (where this host keeps files of the repository and data directories)
 * shapes the result, so it is part of the key.
 */
export function readCommitManifest(gitdir: string, commit: string, root: string, files: RepoFileSettings): Promise<CommitManifest> {
  const key = `${gitdir}\0${commit}\0${root}\0${files.store}\0${files.dataRoot}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = readCommitTree(gitdir, commit, root).then((tree) => ({ ...loadManifest(composeFilesOf(tree), { root, tree, files }), tree }));
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
    while (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}
