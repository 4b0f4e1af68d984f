import { join } from "node:path";
import { StateError } from "../errors.js";
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from "./atomic-file.js";
import { serialized } from "./serial-queue.js";
import { ensureStateDir, STATE_FILES } from "./state-dir.js";

/**
 * The durable host state: `state.json` in the state directory (mode 0600), replaced atomically
 * on every change. What the host did with each commit in detail is in the journal; this file
 * holds only what the reconcile loop decides with.
 */

export interface CommitMark {
  commit: string;
  /** ISO time. */
  at: string;
  reason: string;
}

export interface RolloutMarker {
  commit: string;
  previousCommit: string | undefined;
  startedAt: string;
  stacks: string[];
}

export interface HostState {
  version: 1;
  /** The last commit whose apply finished. */
  lastApplied: { commit: string; at: string } | undefined;
  /** The last commit that passed its health gates. */
  lastGood: { commit: string; at: string } | undefined;
  /** Recent good commits, newest first, at most GOOD_HISTORY_LIMIT (their images are kept). */
  goodHistory: string[];
  /** Commits that failed their gate and were rolled back. */
  failed: Record<string, CommitMark>;
  /** Commits rejected before apply (invalid manifest, policy, signature). */
  rejected: Record<string, CommitMark>;
  /** Commits `gitdock retry` cleared for one more attempt; the next outcome consumes the request. */
  retryRequested: string[];
  /**
   * Commits `gitdock retry --allow-rewind` lets through once although they do not descend from the
   * last good commit (verify.mode enforce); the commit's next outcome (good, failed, rejected) uses it up.
   */
  allowRewind: string[];
  /**
   * Set while the last good commit no longer passes the current checks (policy, trust files,
   * verification mode) and gitdock changes nothing on the host; cleared by the next pass that
   * goes on normally.
   */
  halted: CommitMark | undefined;
  /** Set while a rollout is in progress; cleared when it ends. */
  rollout: RolloutMarker | undefined;
  /** When the state was rebuilt from the host (the state directory had been lost), and from what. */
  rebuilt?: { at: string; commit: string; from: string };
}

export const GOOD_HISTORY_LIMIT = 10;
/**
 * Failed and rejected marks kept, each, newest first: a bound on state.json. A mark older than
 * this many later ones only matters if the branch is rewound to its commit (which `verify.mode:
 * enforce` refuses anyway); the journal keeps every outcome.
 */
export const MARKS_LIMIT = 100;

export function defaultHostState(): HostState {
  return {
    version: 1,
    lastApplied: undefined,
    lastGood: undefined,
    goodHistory: [],
    failed: {},
    rejected: {},
    retryRequested: [],
    allowRewind: [],
    halted: undefined,
    rollout: undefined,
  };
}

// ---- pure helpers: each returns a new state and leaves its input untouched ----

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!Object.hasOwn(record, key)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
}

function consumeRetry(list: string[], commit: string): string[] {
  return list.includes(commit) ? list.filter((c) => c !== commit) : list;
}

/** A commit's outcome uses up the one-time requests made for it (`retry`, `retry --allow-rewind`). */
function consumeRequests(state: HostState, commit: string): Pick<HostState, "retryRequested" | "allowRewind"> {
  return { retryRequested: consumeRetry(state.retryRequested, commit), allowRewind: consumeRetry(state.allowRewind, commit) };
}

/** The apply of `commit` finished (health not yet known). */
export function markApplied(state: HostState, commit: string, at: string): HostState {
  return { ...state, lastApplied: { commit, at } };
}

/**
 * `commit` passed its health gates: it becomes the rollback target and loses any failure mark. A
 * "rebuilt" note goes too: `status` says the state was rebuilt only until the next good commit.
 */
export function markGood(state: HostState, commit: string, at: string): HostState {
  const { rebuilt: _rebuilt, ...rest } = state;
  return {
    ...rest,
    lastGood: { commit, at },
    goodHistory: [commit, ...state.goodHistory.filter((c) => c !== commit)].slice(0, GOOD_HISTORY_LIMIT),
    failed: without(state.failed, commit),
    rejected: without(state.rejected, commit),
    ...consumeRequests(state, commit),
  };
}

/** `commit` failed its gate and was rolled back; a pending retry request for it is used up. */
export function markFailed(state: HostState, commit: string, reason: string, at: string): HostState {
  return {
    ...state,
    failed: withMark(state.failed, { commit, at, reason }),
    ...consumeRequests(state, commit),
  };
}

/**
 * `commit` was healthy here, but the fleet took it back (a later wave failed it): it is marked
 * failed, as if its own gate had failed, and `previous` is the last good commit again.
 */
export function markWithdrawn(state: HostState, commit: string, previous: string, reason: string, at: string): HostState {
  const failed = markFailed(state, commit, reason, at);
  return { ...failed, lastGood: { commit: previous, at }, goodHistory: failed.goodHistory.filter((c) => c !== commit) };
}

/** `commit` was rejected before apply; a pending retry request for it is used up. */
export function markRejected(state: HostState, commit: string, reason: string, at: string): HostState {
  return {
    ...state,
    rejected: withMark(state.rejected, { commit, at, reason }),
    ...consumeRequests(state, commit),
  };
}

/** The marks with `mark` added (or renewed), at most MARKS_LIMIT, the oldest dropped first. */
function withMark(marks: Record<string, CommitMark>, mark: CommitMark): Record<string, CommitMark> {
  const others = Object.values(marks).filter((m) => m.commit !== mark.commit);
  const kept = others
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, MARKS_LIMIT - 1)
    .reverse();
  return Object.fromEntries([...kept, mark].map((m) => [m.commit, m]));
}

/** `gitdock retry`: forget the failure or rejection of `commit` and allow one more attempt. */
export function clearFailure(state: HostState, commit: string): HostState {
  return {
    ...state,
    failed: without(state.failed, commit),
    rejected: without(state.rejected, commit),
    retryRequested: state.retryRequested.includes(commit) ? state.retryRequested : [...state.retryRequested, commit],
  };
}

/**
 * `gitdock retry --allow-rewind`: let `commit` through once although it does not descend from the
 * last good commit, and give it one more attempt if it was marked.
 */
export function allowRewindTo(state: HostState, commit: string): HostState {
  const cleared = clearFailure(state, commit);
  return { ...cleared, allowRewind: cleared.allowRewind.includes(commit) ? cleared.allowRewind : [...cleared.allowRewind, commit] };
}

/** The last good commit no longer passes: gitdock changes nothing until a pass goes on normally. */
export function markHalted(state: HostState, commit: string, reason: string, at: string): HostState {
  return { ...state, halted: { commit, at, reason } };
}

export function clearHalted(state: HostState): HostState {
  return state.halted ? { ...state, halted: undefined } : state;
}

/** Why `commit` must not be applied by itself, or undefined when it may be. */
export function isBlocked(state: HostState, commit: string): CommitMark | undefined {
  if (state.retryRequested.includes(commit)) return undefined;
  if (Object.hasOwn(state.failed, commit)) return state.failed[commit];
  if (Object.hasOwn(state.rejected, commit)) return state.rejected[commit];
  return undefined;
}

export function beginRollout(state: HostState, marker: RolloutMarker): HostState {
  return { ...state, rollout: { ...marker, stacks: [...marker.stacks] } };
}

export function endRollout(state: HostState): HostState {
  return { ...state, rollout: undefined };
}

// ---- the file ----

const CORRUPT_HINT =
  "Restore state.json from a backup, or run `gitdock state rebuild`: it moves the file aside and " +
  "rebuilds the last good commit from the labels of the containers this host runs (the journal keeps the history).";

class Shape {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string): never {
    throw new StateError(`${this.file} is corrupt: ${path} should be ${expected}`, {
      hint: CORRUPT_HINT,
      data: { file: this.file, path },
    });
  }
  obj(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object");
    return v as Record<string, unknown>;
  }
  str(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "a string");
    return v;
  }
  strings(v: unknown, path: string): string[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, "a list of strings");
    return v.map((x, i) => this.str(x, `${path}[${i}]`));
  }
  stamp(v: unknown, path: string): { commit: string; at: string } | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.obj(v, path);
    return { commit: this.str(o.commit, `${path}.commit`), at: this.str(o.at, `${path}.at`) };
  }
  mark(v: unknown, path: string): CommitMark {
    const o = this.obj(v, path);
    return { commit: this.str(o.commit, `${path}.commit`), at: this.str(o.at, `${path}.at`), reason: this.str(o.reason, `${path}.reason`) };
  }
  marks(v: unknown, path: string): Record<string, CommitMark> {
    if (v === undefined) return {};
    const out: Record<string, CommitMark> = {};
    for (const [key, raw] of Object.entries(this.obj(v, path))) out[key] = this.mark(raw, `${path}.${key}`);
    return out;
  }
  rebuilt(v: unknown, path: string): NonNullable<HostState["rebuilt"]> {
    const o = this.obj(v, path);
    return { at: this.str(o.at, `${path}.at`), commit: this.str(o.commit, `${path}.commit`), from: this.str(o.from, `${path}.from`) };
  }
  rollout(v: unknown, path: string): RolloutMarker | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.obj(v, path);
    const prev = o.previousCommit;
    return {
      commit: this.str(o.commit, `${path}.commit`),
      previousCommit: prev === undefined || prev === null ? undefined : this.str(prev, `${path}.previousCommit`),
      startedAt: this.str(o.startedAt, `${path}.startedAt`),
      stacks: this.strings(o.stacks, `${path}.stacks`),
    };
  }
}

/** Checks a parsed state file (or a state about to be written) and fills absent fields with defaults. */
export function parseHostState(raw: unknown, file: string = STATE_FILES.state): HostState {
  const shape = new Shape(file);
  const o = shape.obj(raw, "the document");
  if (o.version !== 1) {
    throw new StateError(`${file} has version ${JSON.stringify(o.version)}; this gitdock reads version 1`, {
      hint: "It was written by another gitdock version: run that version, or move the file aside.",
      data: { file, version: o.version },
    });
  }
  return {
    version: 1,
    lastApplied: shape.stamp(o.lastApplied, "lastApplied"),
    lastGood: shape.stamp(o.lastGood, "lastGood"),
    goodHistory: shape.strings(o.goodHistory, "goodHistory"),
    failed: shape.marks(o.failed, "failed"),
    rejected: shape.marks(o.rejected, "rejected"),
    retryRequested: shape.strings(o.retryRequested, "retryRequested"),
    allowRewind: shape.strings(o.allowRewind, "allowRewind"),
    halted: o.halted === undefined || o.halted === null ? undefined : shape.mark(o.halted, "halted"),
    rollout: shape.rollout(o.rollout, "rollout"),
    ...(o.rebuilt === undefined || o.rebuilt === null ? {} : { rebuilt: shape.rebuilt(o.rebuilt, "rebuilt") }),
  };
}

/** The state an update produced, checked before it replaces the file (a bug must not corrupt it). */
function checkedForWrite(state: HostState, file: string): HostState {
  try {
    return parseHostState(structuredClone(state), file);
  } catch (err) {
    throw new StateError(`refusing to write an invalid host state to ${file}: ${(err as Error).message}`, {
      data: { file },
      cause: err,
    });
  }
}

/**
 * Reads and updates `state.json`. Updates are serialized per file within this process; across
 * processes, only the holder of the reconcile lock (lock.ts) may update, so `gitdock retry`
 * takes the lock too.
 */
export class StateStore {
  readonly dir: string;
  readonly file: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, STATE_FILES.state);
  }

  /** Opens the state directory, creating it (0700) if missing, and removes temp files of dead writers. */
  static async open(stateDir: string): Promise<StateStore> {
    const dir = await ensureStateDir(stateDir);
    await removeStaleTempFiles(dir);
    return new StateStore(dir);
  }

  /** The current state; the defaults when the file does not exist yet. */
  async read(): Promise<HostState> {
    const raw = await readJsonFile<unknown>(this.file, { hint: CORRUPT_HINT });
    return raw === undefined ? defaultHostState() : parseHostState(raw, this.file);
  }

  /**
   * Read-modify-write, atomic. `fn` gets a private copy: it may return a new state (the pure
   * helpers above) or change the copy and return nothing. If it throws, nothing is written.
   */
  update(fn: (s: HostState) => HostState | void): Promise<HostState> {
    return serialized(this.file, async () => {
      const current = structuredClone(await this.read());
      const next = checkedForWrite(fn(current) ?? current, this.file);
      await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      return next;
    });
  }
}
