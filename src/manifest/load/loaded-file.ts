import type { DesiredStack } from "../../model.js";
import type { HostValueMask } from "../interpolate/host-value-mask.js";
import type { Origins } from "../merge/origins.js";
import type { Position, ProblemSink } from "../problems.js";
import type { StackPlan } from "./discover-stacks.js";

/** Where a stack's problems go: paths in its merged document, or a position in its main file. */
export interface StackProblems extends ProblemSink {
  reportAt(pos: Position, path: string, message: string): void;
}

/** A stack's merged document and what is known about where each part was written. */
export interface StackSource {
  data: unknown;
  origins: Origins;
  mask: HostValueMask;
}

/** One stack after it was read on its own, before the rules that compare stacks run. */
export interface LoadedFile {
  /** The stack's main file (`DesiredStack.file`). */
  file: string;
  /** The stack's directory. */
  dir: string;
  plan: StackPlan;
  problems: StackProblems;
  /** Undefined when the stack could not be read far enough to know it. */
  project: string | undefined;
  /** True when the project name comes from `name:` rather than the directory. */
  projectFromName: boolean;
  /** Present once normalization ran; only returned to callers when no stack has problems. */
  stack: DesiredStack | undefined;
  /** The merged document, for later stages that point at what was written (the host policy). */
  source: StackSource | undefined;
}
