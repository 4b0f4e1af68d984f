import fs from "node:fs";
import git from "isomorphic-git";
import { joinRepoPath } from "../manifest/repo-tree.js";
import { FLEET_FILE_NAME, parseFleetFile, type Fleet } from "./read-fleet-file.js";
import type { ManifestProblem } from "../errors.js";

/** Largest fleet file read: hundreds of hosts with their keys fit many times over. */
const MAX_FLEET_FILE_BYTES = 1024 * 1024;

export type FoundFleet = { file: string; fleet: Fleet; problems: [] } | { file: string; fleet: undefined; problems: ManifestProblem[] };

/**
 * The fleet file a host follows in a commit: `fleet.yaml` in the host's directory (`path`) or the
 * nearest directory above it, up to the repository root, so hosts that read `hosts/web-1` and
 * `hosts/web-2` share `hosts/fleet.yaml` or a root `fleet.yaml`. Undefined when there is none: the
 * host applies commits as it always did.
 */
export async function findFleetFile(gitdir: string, commit: string, path: string, cache: object = {}): Promise<FoundFleet | undefined> {
  // One isomorphic-git cache for every directory looked in: the clone's pack is loaded once per pass.
  for (const dir of ancestors(path)) {
    const file = joinRepoPath(dir, FLEET_FILE_NAME);
    const blob = await readBlobAt(gitdir, commit, file, cache);
    if (blob === undefined) continue;
    if (blob.byteLength > MAX_FLEET_FILE_BYTES) {
      return { file, fleet: undefined, problems: [{ file, line: 1, col: 1, path: "", message: `larger than ${MAX_FLEET_FILE_BYTES} bytes` }] };
    }
    return { file, ...parseFleetFile(file, Buffer.from(blob).toString("utf8")) };
  }
  return undefined;
}

/** `a/b` → `a/b`, `a`, "" (the root). */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.map((_, i) => parts.slice(0, parts.length - i).join("/")).concat("");
}

async function readBlobAt(gitdir: string, commit: string, filepath: string, cache: object): Promise<Uint8Array | undefined> {
  try {
    return (await git.readBlob({ fs, gitdir, oid: commit, filepath, cache })).blob;
  } catch (err) {
    if ((err as { code?: string }).code === "NotFoundError") return undefined;
    throw err;
  }
}
