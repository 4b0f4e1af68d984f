import type { DocPath } from "../format-path.js";
import type { HostValueMask } from "../interpolate/host-value-mask.js";
import type { Origins } from "../merge/origins.js";
import type { Position } from "../problems.js";
import type { StackProblems } from "./loaded-file.js";
import type { ProblemLog } from "./problem-log.js";

/**
 * Problems about a stack's merged document, by their path in it. Each is sent to the file and
 * path where its text was written (an override file, an extended or included file), with host
 * values kept out of its message; a problem about a value whose variable could not be resolved is
 * dropped, since the variable itself was already reported. Before the merge, paths are taken as
 * paths of the main file.
 */
export class StackSink implements StackProblems {
  private root: unknown;
  private origins: Origins | undefined;
  private mask: HostValueMask | undefined;

  constructor(
    private readonly log: ProblemLog,
    private readonly main: string,
  ) {}

  attach(root: unknown, origins: Origins, mask: HostValueMask): void {
    this.root = root;
    this.origins = origins;
    this.mask = mask;
  }

  report(path: DocPath, message: string, at: "key" | "value" = "value"): void {
    if (this.mask?.suppresses(path)) return;
    const origin = this.origins?.at(this.root, path) ?? { file: this.main, path };
    const text = this.mask ? this.mask.mask(path, message) : message;
    this.log.add({ file: origin.file, at: { path: origin.path, side: at }, logical: path, message: text });
  }

  reportAt(pos: Position, path: string, message: string): void {
    this.log.add({ file: this.main, at: { pos, path }, logical: [], message });
  }
}
