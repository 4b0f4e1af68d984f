import type { Settings } from "../../config/settings.js";
import { ConfigInvalidError } from "../../errors.js";
import { StateStore, acquireLock, allowRewindTo, clearFailure, type HostState } from "../../state/index.js";
import { EXIT } from "../exit-codes.js";

/**
 * `gitdock retry [commit]`: clear a failed or rejected mark so the next sync tries the commit once
 * more. With `--allow-rewind <commit>`, that commit may also be applied once although it does not
 * descend from the last good commit (verify.mode enforce); it need not be marked yet (give its
 * full SHA then).
 */
export async function retryCommand(settings: Settings, commit: string | undefined, opts: { allowRewind?: boolean } = {}): Promise<number> {
  const store = await StateStore.open(settings.stateDir);
  const sha = pickCommit(await store.read(), commit, opts.allowRewind === true);
  const release = await acquireLock(settings.stateDir, { wait: true, timeoutMs: 600_000 });
  try {
    await store.update((s) => (opts.allowRewind ? allowRewindTo(s, sha) : clearFailure(s, sha)));
  } finally {
    await release();
  }
  process.stdout.write(
    opts.allowRewind
      ? `allowed ${sha.slice(0, 12)} once: the next sync applies it even if it does not descend from the last good commit\n`
      : `cleared ${sha.slice(0, 12)}; the next sync applies it once more\n`,
  );
  return EXIT.ok;
}

/** The marked commit `commit` names (a unique prefix), or with --allow-rewind any full SHA. */
function pickCommit(state: HostState, commit: string | undefined, allowRewind: boolean): string {
  if (allowRewind && !commit) {
    throw new ConfigInvalidError("--allow-rewind needs the commit to allow", { hint: "gitdock retry --allow-rewind <sha>" });
  }
  const marked = [...Object.keys(state.failed), ...Object.keys(state.rejected)];
  const match = commit ? marked.filter((c) => c.startsWith(commit)) : marked;
  if (match.length === 0 && allowRewind && commit && /^[0-9a-f]{40}$/.test(commit)) return commit;
  if (match.length === 0) {
    throw new ConfigInvalidError(commit ? `commit ${commit} is not marked failed or rejected` : "no commit is marked failed or rejected", {
      ...(allowRewind ? { hint: "To allow a commit that is not marked yet, give its full 40-character SHA." } : {}),
    });
  }
  if (match.length > 1) {
    throw new ConfigInvalidError(`${commit ? `${commit} is ambiguous` : "several commits are marked"}: ${match.map((c) => c.slice(0, 12)).join(", ")}`, {
      hint: "Name the commit: gitdock retry <sha>.",
    });
  }
  return match[0] as string;
}
