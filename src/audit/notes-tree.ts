import fs from "node:fs";
import git, { type TreeEntry } from "isomorphic-git";
import { noteLines, noteText, type Notes } from "./merge-notes.js";

/**
 * Reading and writing a notes commit: its tree holds one blob per annotated commit, named by that
 * commit's SHA, either flat (`<40 hex>`) or fanned out into directories (`ab/<38 hex>`, and
 * deeper) as `git notes` does once there are many notes. Both are read; gitdock writes flat trees,
 * which every Git reads, and `git notes` fans them out again when it next writes.
 */

export interface NotesSnapshot {
  notes: Notes;
  /** The text each note had when read, to reuse its blob when it is unchanged. */
  blobs: Map<string, { text: string; oid: string }>;
  /** Root entries that are not notes (kept as they are when gitdock rewrites the tree). */
  others: TreeEntry[];
}

const HEX = /^[0-9a-f]+$/;

export function emptySnapshot(): NotesSnapshot {
  return { notes: new Map(), blobs: new Map(), others: [] };
}

export async function readNotesCommit(gitdir: string, commitOid: string): Promise<NotesSnapshot> {
  const { commit } = await git.readCommit({ fs, gitdir, oid: commitOid });
  const snap = emptySnapshot();
  await walk(gitdir, commit.tree, "", snap, true);
  return snap;
}

/**
 * The lines of one commit's note, reading only the trees on its path (flat, or fanned out at any
 * depth): what an agent reads on every poll. With `cache` (isomorphic-git's: the packs it has
 * loaded, kept by the caller across reads) a read does not load the notes' pack again, so its cost
 * does not grow with the notes' history.
 */
export async function readNoteOf(gitdir: string, commitOid: string, annotated: string, cache?: object): Promise<string[]> {
  return (await openNoteReader(gitdir, commitOid, cache))(annotated);
}

/**
 * readNoteOf for many commits of one notes commit (`gitdock fleet status`): each tree on the way is
 * read once and kept, so reading the notes of N commits costs N blobs, not N root trees.
 */
export async function openNoteReader(gitdir: string, commitOid: string, cache?: object): Promise<(annotated: string) => Promise<string[]>> {
  const { commit } = await git.readCommit({ fs, gitdir, oid: commitOid, cache });
  const trees = new Map<string, Promise<TreeEntry[]>>();
  const readTree = (oid: string): Promise<TreeEntry[]> => {
    let t = trees.get(oid);
    if (!t) trees.set(oid, (t = git.readTree({ fs, gitdir, oid, cache }).then((r) => r.tree)));
    return t;
  };
  const readBlob = async (oid: string): Promise<string> => Buffer.from((await git.readBlob({ fs, gitdir, oid, cache })).blob).toString("utf8");
  return async (annotated) => [...new Set(await lookUp(readTree, readBlob, commit.tree, annotated))];
}

async function lookUp(
  readTree: (oid: string) => Promise<TreeEntry[]>,
  readBlob: (oid: string) => Promise<string>,
  treeOid: string,
  rest: string,
): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readTree(treeOid)) {
    if (e.type === "blob" && e.path === rest) {
      out.push(...noteLines(await readBlob(e.oid)));
    } else if (e.type === "tree" && e.path.length === 2 && rest.length > 2 && rest.startsWith(e.path)) {
      out.push(...(await lookUp(readTree, readBlob, e.oid, rest.slice(2))));
    }
  }
  return out;
}

async function walk(gitdir: string, treeOid: string, prefix: string, snap: NotesSnapshot, root: boolean): Promise<void> {
  const { tree } = await git.readTree({ fs, gitdir, oid: treeOid });
  for (const e of tree) {
    const name = prefix + e.path;
    if (e.type === "tree" && e.path.length === 2 && HEX.test(e.path) && name.length < 40) {
      await walk(gitdir, e.oid, name, snap, false);
    } else if (e.type === "blob" && name.length === 40 && HEX.test(e.path)) {
      const { blob } = await git.readBlob({ fs, gitdir, oid: e.oid });
      const text = Buffer.from(blob).toString("utf8");
      // The same commit both flat and fanned out: Git shows both; keep the union.
      snap.notes.set(name, [...new Set([...(snap.notes.get(name) ?? []), ...noteLines(text)])]);
      if (!snap.blobs.has(name)) snap.blobs.set(name, { text, oid: e.oid });
    } else if (root) {
      snap.others.push(e);
    }
  }
}

/** Writes the notes as a new notes commit on top of `parent` and returns its SHA. */
export async function writeNotesCommit(
  gitdir: string,
  snap: NotesSnapshot,
  opts: { parent: string | undefined; message: string; author: { name: string; email: string } },
): Promise<string> {
  const entries: TreeEntry[] = [...snap.others];
  for (const [commit, lines] of snap.notes) {
    if (!lines.length) continue;
    const text = noteText(lines);
    const known = snap.blobs.get(commit);
    const oid = known?.text === text ? known.oid : await git.writeBlob({ fs, gitdir, blob: Buffer.from(text, "utf8") });
    entries.push({ mode: "100644", path: commit, oid, type: "blob" });
  }
  const tree = await git.writeTree({ fs, gitdir, tree: entries });
  const now = Math.floor(Date.now() / 1000);
  const who = { ...opts.author, timestamp: now, timezoneOffset: 0 };
  return git.writeCommit({
    fs,
    gitdir,
    commit: { message: opts.message, tree, parent: opts.parent ? [opts.parent] : [], author: who, committer: who },
  });
}
