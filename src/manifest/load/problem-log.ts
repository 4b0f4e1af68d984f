import type { ManifestProblem } from "../../errors.js";
import { byCodePoint } from "../../order.js";
import { formatPath, type DocPath } from "../format-path.js";
import type { Position, ProblemSink } from "../problems.js";
import type { SourceFiles } from "./source-files.js";

/** A problem (or a note) before it is placed in its file. */
export interface PendingProblem {
  file: string;
  /** A path inside `file` (placed through the file's YAML), or a position already known. */
  at: { path: DocPath; side: "key" | "value" } | { pos: Position; path: string };
  /** The path the problem is about as the stack sees it: names the services that share the text. */
  logical: DocPath;
  message: string;
  /** A note: something the host must provide, reported but not failing (`gitdock validate`). */
  note?: boolean;
  /** A variable only the host can set is missing: the host must act, not the commit. */
  hostInput?: boolean;
}

export interface PlacedProblems {
  problems: ManifestProblem[];
  notes: ManifestProblem[];
  /** True when every problem is a missing host variable. */
  hostInputsOnly: boolean;
}

interface Placed extends ManifestProblem {
  /** The path shown when the problem is not grouped: where it is in its file. */
  shown?: DocPath;
  written: DocPath | undefined;
  anchor: string | undefined;
  logical: DocPath;
  hostInput: boolean;
}

/**
 * Collects a load's problems and notes, then places each in the file where its text is written.
 * A problem in text that several services share (an anchor's content merged with `<<`, a service
 * others `extends`) is reported once, where it is written, naming the services that use it.
 */
export class ProblemLog {
  private readonly pending: PendingProblem[] = [];

  add(problem: PendingProblem): void {
    this.pending.push(problem);
  }

  /** A sink for paths inside one file (`logical` is the same path). */
  fileSink(file: string, extra: Partial<Pick<PendingProblem, "note" | "hostInput">> = {}): ProblemSink {
    return { report: (path, message, at = "value") => this.add({ file, at: { path, side: at }, logical: path, message, ...extra }) };
  }

  place(files: SourceFiles): PlacedProblems {
    const placed = this.pending.map((p) => placeOne(p, files));
    const problems = group(placed.filter((p, i) => !this.pending[i]?.note));
    const notes = group(placed.filter((p, i) => this.pending[i]?.note === true));
    const parse = files.parseProblems().flatMap((f) => f.problems);
    const all = sortByFile([...parse, ...problems], files);
    const hostInputsOnly = parse.length === 0 && problems.length > 0 && problems.every((p) => p.hostInput);
    return { problems: all.map(plain), notes: sortByFile(notes, files).map(plain), hostInputsOnly };
  }
}

function placeOne(p: PendingProblem, files: SourceFiles): Placed {
  const base = { file: p.file, message: p.message, logical: p.logical, hostInput: p.hostInput === true };
  if ("pos" in p.at) return { ...base, line: p.at.pos.line, col: p.at.pos.col, path: p.at.path, written: undefined, anchor: undefined };
  const where = files.place(p.file, p.at.path, p.at.side);
  return { ...base, line: where.pos.line, col: where.pos.col, path: formatPath(p.at.path), written: where.written, anchor: where.anchor, shown: p.at.path };
}

/** Same text, same message, several users: one problem at the text, naming them. */
function group(list: Placed[]): Placed[] {
  const byPlace = new Map<string, Placed[]>();
  for (const p of list) {
    const key = `${p.file}\0${p.line}\0${p.col}\0${p.message}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), p]);
  }
  return [...byPlace.values()].map(mergeGroup);
}

/**
 * One problem for a group. Alone, it keeps its path in its file, and names its service when the
 * text belongs to another one (a key inherited through `extends`). Shared, it is shown at the
 * path where the text is written, with the anchor it is under and the services that use it.
 */
function mergeGroup(members: Placed[]): Placed {
  const first = members[0] as Placed;
  // The anchor's own text is interpolated and checked too; it is where the problem is, not a user.
  const using = members.filter((m) => m.written === undefined || formatPath(m.written) !== formatPath(m.logical));
  const users = [...new Set((using.length > 0 ? using : members).map((m) => userOf(m.logical)))].sort(byCodePoint);
  const foreign = isService(first.logical) && first.shown !== undefined && serviceOf(first.shown) !== serviceOf(first.logical);
  if (users.length < 2 && !foreign) return first;
  const anchor = members.find((m) => m.anchor !== undefined)?.anchor;
  const path = users.length < 2 || first.written === undefined ? first.path : formatPath(first.written);
  const under = users.length < 2 || anchor === undefined ? "" : `in the anchor &${anchor}, `;
  const who = users.every((u) => u.startsWith("service ")) ? `used by ${plural(users)}` : `used at ${users.join(", ")}`;
  return { ...first, path, message: `${first.message} (${under}${who})` };
}

function plural(users: string[]): string {
  const names = users.map((u) => u.slice("service ".length));
  return names.length === 1 ? `service ${names[0]}` : `services ${names.join(", ")}`;
}

function userOf(logical: DocPath): string {
  return isService(logical) ? `service ${String(logical[1])}` : formatPath(logical);
}

function isService(path: DocPath): boolean {
  return path[0] === "services" && path.length >= 2;
}

function serviceOf(path: DocPath | undefined): unknown {
  return path?.[0] === "services" ? path[1] : undefined;
}

function sortByFile<T extends ManifestProblem>(list: T[], files: SourceFiles): T[] {
  return [...list].sort((a, b) => files.rank(a.file) - files.rank(b.file) || a.line - b.line || a.col - b.col);
}

function plain(p: ManifestProblem): ManifestProblem {
  return { file: p.file, line: p.line, col: p.col, path: p.path, message: p.message };
}

/**
 * Problems found after loading (the host policy) about text several services share: one per place
 * and message, naming the services, as the manifest's own problems are.
 */
export function groupSharedProblems(problems: readonly ManifestProblem[]): ManifestProblem[] {
  const byPlace = new Map<string, ManifestProblem[]>();
  for (const p of problems) {
    const key = `${p.file}\0${p.line}\0${p.col}\0${p.message}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), p]);
  }
  return [...byPlace.values()].map((group) => {
    const first = group[0] as ManifestProblem;
    const services = [...new Set(group.map((p) => /^services(?:\.([A-Za-z0-9_-]+)|\["([^"]+)"\])/.exec(p.path)).map((m) => m?.[1] ?? m?.[2] ?? ""))].sort(
      byCodePoint,
    );
    if (group.length < 2 || services.length < 2 || services.includes("")) return first;
    return { ...first, message: `${first.message} (shared by services ${services.join(", ")})` };
  });
}
