import type { DocPath } from "../manifest/format-path.js";

export type { DocPath };

/** What a policy rule refuses, at the path of the stack's file where it was written. */
export interface Violation {
  path: DocPath;
  message: string;
}
