import type { DesiredState } from "../model.js";
import { readCommitManifest } from "./commit-manifest.js";

/** The desired state of one commit: its stack files read from the commit's tree, validated whole. */
export async function loadDesiredState(gitdir: string, commit: string, root: string): Promise<DesiredState> {
  return { commit, stacks: (await readCommitManifest(gitdir, commit, root)).stacks };
}
