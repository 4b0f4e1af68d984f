import type { ManifestProblem } from "../errors.js";
import { formatPath, type DocPath } from "./format-path.js";

export interface Position {
  line: number;
  col: number;
}

/** Finds where a document path is written: on its key, or on its value. */
export type Locator = (path: DocPath, at: "key" | "value") => Position;

/** Where problems in one part of a manifest go. Validation never stops at the first problem. */
export interface ProblemSink {
  report(path: DocPath, message: string, at?: "key" | "value"): void;
}

/**
 * Problems of one file. Until the YAML is parsed there is nothing to locate paths in, so
 * everything lands on 1:1; `attach` gives it the parsed document's locator.
 */
export class FileProblems implements ProblemSink {
  readonly problems: ManifestProblem[] = [];
  private locate: Locator = () => ({ line: 1, col: 1 });

  constructor(readonly file: string) {}

  attach(locate: Locator): void {
    this.locate = locate;
  }

  report(path: DocPath, message: string, at: "key" | "value" = "value"): void {
    this.reportAt(this.locate(path, at), formatPath(path), message);
  }

  reportAt(pos: Position, path: string, message: string): void {
    this.problems.push({ file: this.file, line: pos.line, col: pos.col, path, message });
  }
}

/** A sink whose paths are relative to `base`, so helpers need not know where they are called from. */
export function scopedSink(sink: ProblemSink, base: DocPath): ProblemSink {
  return { report: (path, message, at) => sink.report([...base, ...path], message, at) };
}
