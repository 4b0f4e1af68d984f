import type { Settings } from "../../config/settings.js";
import { ConfigInvalidError } from "../../errors.js";
import { StateStore, acquireLock, clearFailure } from "../../state/index.js";
import { EXIT } from "../exit-codes.js";

/** `gitdock retry [commit]`: clear a failed or rejected mark so the next sync tries the commit once more. */
export async function retryCommand(settings: Settings, commit: string | undefined): Promise<number> {
  const store = await StateStore.open(settings.stateDir);
  const state = await store.read();
  const marked = [...Object.keys(state.failed), ...Object.keys(state.rejected)];
  const match = commit ? marked.filter((c) => c.startsWith(commit)) : marked;
  if (match.length === 0) {
    throw new ConfigInvalidError(commit ? `commit ${commit} is not marked failed or rejected` : "no commit is marked failed or rejected");
  }
  if (match.length > 1) {
    throw new ConfigInvalidError(`${commit ? `${commit} is ambiguous` : "several commits are marked"}: ${match.map((c) => c.slice(0, 12)).join(", ")}`, {
      hint: "Name the commit: gitdock retry <sha>.",
    });
  }
  const sha = match[0] as string;
  const release = await acquireLock(settings.stateDir, { wait: true, timeoutMs: 600_000 });
  try {
    await store.update((s) => clearFailure(s, sha));
  } finally {
    await release();
  }
  process.stdout.write(`cleared ${sha.slice(0, 12)}; the next sync applies it once more\n`);
  return EXIT.ok;
}
