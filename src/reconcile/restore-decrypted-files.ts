import { materializeDecrypted } from "../files/materialize-decrypted.js";
import { localGitdirOf } from "../source/local-gitdir.js";
import { readCommitManifest } from "./commit-manifest.js";
import type { ReconcileContext } from "./context.js";

/**
 * Before an interrupted rollout is undone: the decrypted secrets and configs of the commit the kept
 * containers were made from, written again on the tmpfs (a reboot during the rollout emptied it),
 * from the local clone and without the network, so the undo can start them. Never throws: what
 * cannot be written is logged, and the undo reports the container it could not start.
 */
export async function restoreDecryptedFiles(ctx: ReconcileContext, commit: string | undefined): Promise<void> {
  const gitdir = localGitdirOf(ctx.settings);
  if (commit === undefined || gitdir === undefined) return;
  try {
    const { stacks } = await readCommitManifest(gitdir, commit, ctx.settings, ctx.hostKey);
    await materializeDecrypted(stacks.flatMap((s) => s.decryptedFiles ?? []));
  } catch (err) {
    ctx.log.warn({ stage: "recover", commit, err: String(err) }, "could not write the decrypted files of the last applied commit again");
  }
}
