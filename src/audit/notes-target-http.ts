import fs from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import git, { type HttpClient } from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { readLooseObjects, readPackNames } from "../source/clone-packs.js";
import type { GitCredentials } from "../source/index.js";
import { authOf, fetchRefTip } from "./fetch-ref-tip.js";
import { addPending, type PendingNote } from "./merge-notes.js";
import { emptySnapshot, readNoteOf, readNotesCommit, writeNotesCommit } from "./notes-tree.js";
import { notesAuthor, notesMessage, type NotesTarget } from "./notes-target.js";

/** Per HTTP request; a Git server that hangs must not hold a reconcile pass forever. */
const REQUEST_TIMEOUT_MS = 20_000;
/** Loose objects in the local notes repository before it is dropped and fetched afresh. */
const MAX_LOOSE_OBJECTS = 5_000;
/** Packs likewise: each fetch of a notes tip another host pushed adds one. */
const MAX_PACKS = 16;

/**
 * Notes on an HTTP(S) remote. They are kept in their own bare repository under the state
 * directory (`<state>/notes/<hash of url>.git`), apart from the source clone, so publishing notes
 * never races a poll's fetch for the same shallow file or refs. Each attempt asks the server for
 * the notes ref, fetches its tip only when it is new here (depth 1: the notes' own history is
 * never downloaded), merges, and pushes a commit whose parent is that tip. The server updates the
 * ref only if it still points at that tip, so a concurrent writer's lines can never be
 * overwritten: the loser is told, fetches again and merges.
 */
export class HttpNotesTarget implements NotesTarget {
  readonly where: string;
  private readonly gitdir: string;
  private readonly http: HttpClient;
  /** isomorphic-git's cache of this repository's packs, kept across polls; dropped with the repository. */
  private cache: object = {};
  /** The last note read, by notes tip: the wave rule asks every pass, and the notes change far less often. */
  private lastRead: { tip: string; commit: string; lines: string[] } | undefined;

  constructor(private readonly opts: { url: string; ref: string; stateDir: string; hostId: string; credentials: GitCredentials | undefined }) {
    this.where = `${opts.ref} at ${opts.url}`;
    this.gitdir = join(opts.stateDir, "notes", `${createHash("sha256").update(opts.url).digest("hex").slice(0, 16)}.git`);
    this.http = withTimeout(http, REQUEST_TIMEOUT_MS);
  }

  async linesFor(commit: string): Promise<string[]> {
    await this.init();
    const tip = await this.fetchTip();
    if (!tip) return [];
    if (this.lastRead?.tip === tip && this.lastRead.commit === commit) return this.lastRead.lines;
    const lines = await readNoteOf(this.gitdir, tip, commit, this.cache);
    this.lastRead = { tip, commit, lines };
    return lines;
  }

  async publishOnce(pending: readonly PendingNote[]): Promise<{ result: "published" | "race"; added: number }> {
    await this.init();
    const tip = await this.fetchTip();
    const snap = tip ? await readNotesCommit(this.gitdir, tip) : emptySnapshot();
    const { notes, added } = addPending(snap.notes, pending);
    if (!added.length) return { result: "published", added: 0 };
    const oid = await writeNotesCommit(
      this.gitdir,
      { ...snap, notes },
      {
        parent: tip,
        message: notesMessage(this.opts.hostId, added.length),
        author: notesAuthor(this.opts.hostId),
      },
    );
    await git.writeRef({ fs, gitdir: this.gitdir, ref: this.opts.ref, value: oid, force: true });
    try {
      await git.push({
        fs,
        http: this.http,
        gitdir: this.gitdir,
        url: this.opts.url,
        ref: this.opts.ref,
        remoteRef: this.opts.ref,
        ...authOf(this.opts.credentials),
      });
    } catch (err) {
      if (isUnavailable(err)) throw err;
      return { result: "race", added: 0 }; // rejected for the ref (moved under us): read again
    }
    await this.forgetIfLarge();
    return { result: "published", added: added.length };
  }

  /**
   * Every publish leaves a new notes tree here as a loose object, every fetch of another host's
   * notes tip a pack, and isomorphic-git has no gc. This repository is only a cache of the
   * remote's notes, so once it holds many objects or packs it is removed; the next publish
   * fetches the notes tip again (depth 1).
   */
  private async forgetIfLarge(): Promise<void> {
    const loose = (await readLooseObjects(this.gitdir)).length;
    const packs = (await readPackNames(this.gitdir)).length;
    if (loose <= MAX_LOOSE_OBJECTS && packs <= MAX_PACKS) return;
    await fs.promises.rm(this.gitdir, { recursive: true, force: true });
    this.cache = {};
  }

  private async init(): Promise<void> {
    if (fs.existsSync(join(this.gitdir, "HEAD"))) return;
    await fs.promises.mkdir(this.gitdir, { recursive: true, mode: 0o700 });
    await git.init({ fs, gitdir: this.gitdir, bare: true });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: "origin", url: this.opts.url, force: true });
  }

  /** The remote notes tip, downloaded when it is not here yet (depth 1: the notes' own history is never downloaded); undefined when there are no notes yet. */
  private fetchTip(): Promise<string | undefined> {
    return fetchRefTip({ gitdir: this.gitdir, url: this.opts.url, ref: this.opts.ref, depth: 1, http: this.http, credentials: this.opts.credentials });
  }
}

/** Errors that say the server is unreachable or refuses us, as opposed to a lost race for the ref. */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    code === "HttpError" ||
    code === "UserCanceledError" ||
    code === "SmartHttpError" ||
    (typeof code === "string" && code.startsWith("E")) ||
    (err as Error).name === "AbortError" ||
    (err as Error).name === "TimeoutError"
  );
}

function withTimeout(client: HttpClient, ms: number): HttpClient {
  return { request: (req) => client.request({ ...req, signal: req.signal ?? AbortSignal.timeout(ms) }) };
}
