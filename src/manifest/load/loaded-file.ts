import type { DesiredStack } from "../../model.js";
import type { FileProblems, Locator } from "../problems.js";

/** One manifest after it was read on its own, before the rules that compare files run. */
export interface LoadedFile {
  file: string;
  problems: FileProblems;
  /** Undefined when the file could not be read far enough to know it. */
  project: string | undefined;
  /** True when the project name comes from `name:` rather than the directory. */
  projectFromName: boolean;
  /** Present once normalization ran; only returned to callers when no file has problems. */
  stack: DesiredStack | undefined;
  /** The parsed document, for later stages that point at what was written (the host policy). */
  source: { locate: Locator; data: unknown } | undefined;
}
