import os from "node:os";
import path from "node:path";
import { DEFAULT_FLEET_DEPTH, openFleetSource, type FleetSource } from "../../audit/fleet/index.js";
import { requireRepo, type Settings } from "../../config/settings.js";
import { ConfigInvalidError } from "../../errors.js";
import { loadGitCredentials } from "../../source/index.js";

/** The options `fleet status` and `fleet report` share: where the fleet's history is read from. */
export interface FleetSourceFlags {
  notesRef?: string;
  commits?: string;
  cacheDir?: string;
  depth?: string;
}

export interface OpenedFleetSource {
  source: FleetSource;
  notesRef: string;
  commits: number;
}

/**
 * Opens the repository the flags name (credentials as every command reads them: git.password_file
 * in --config, or GITDOCK_GIT_PASSWORD). A remote one is cached under --cache-dir (default
 * `$XDG_CACHE_HOME/gitdock/fleet`, else `~/.cache/gitdock/fleet`): the command runs on any machine
 * that can read the repository, with no state directory.
 */
export async function openFleetSourceFromFlags(settings: Settings, flags: FleetSourceFlags, defaultCommits: number): Promise<OpenedFleetSource> {
  const notesRef = flags.notesRef ?? settings.report.notesRef;
  if (!notesRef.startsWith("refs/")) throw new ConfigInvalidError(`--notes-ref ${notesRef}: expected a full ref name, e.g. refs/notes/gitdock`);
  const commits = flags.commits !== undefined ? positive("--commits", flags.commits) : defaultCommits;
  const depth = flags.depth !== undefined ? positive("--depth", flags.depth) : DEFAULT_FLEET_DEPTH;
  const source = await openFleetSource({
    repo: requireRepo(settings),
    branch: settings.branch,
    notesRef,
    cacheDir: flags.cacheDir ?? defaultCacheDir(),
    depth: Math.max(depth, commits),
    credentials: await loadGitCredentials(settings.git),
  });
  return { source, notesRef, commits };
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "gitdock", "fleet");
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigInvalidError(`${flag} ${text}: expected a positive whole number`);
  return n;
}
