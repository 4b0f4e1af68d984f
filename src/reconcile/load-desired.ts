import { loadStacks } from "../manifest/index.js";
import type { DesiredState } from "../model.js";
import { readManifestFiles } from "../source/index.js";

/** The desired state of one commit: its stack files read from the commit's tree, validated whole. */
export async function loadDesiredState(gitdir: string, commit: string, root: string): Promise<DesiredState> {
  const files = await readManifestFiles(gitdir, commit, root);
  return { commit, stacks: loadStacks(files, { root }) };
}
