import type { DesiredStack } from "../../model.js";
import { ManifestInvalidError, type ManifestProblem } from "../../errors.js";
import type { ManifestFile } from "../find-stack-files.js";
import { checkContainerNames } from "../rules/check-container-names.js";
import { checkDuplicateProjects } from "../rules/check-duplicate-projects.js";
import { checkStackDirectories } from "../rules/check-stack-directories.js";
import { byCodePoint } from "../normalize/sorted-record.js";
import { loadStackFile } from "./load-stack-file.js";

/**
 * Reads every file, then runs the rules that compare files. Returns the stacks sorted by file
 * only when there is no problem anywhere; otherwise throws one error listing all of them, sorted
 * by file (in the order given), line and column.
 */
export function loadStacks(files: ManifestFile[], root: string): DesiredStack[] {
  const loaded = files.map((file) => loadStackFile(file, root));
  checkStackDirectories(loaded);
  checkDuplicateProjects(loaded);
  checkContainerNames(loaded);
  const problems = loaded.flatMap((f, index) => f.problems.problems.map((p) => ({ p, index })));
  if (problems.length > 0) throw new ManifestInvalidError(problems.sort(byPosition).map(({ p }) => p));
  return loaded.flatMap((f) => (f.stack ? [f.stack] : [])).sort((a, b) => byCodePoint(a.file, b.file));
}

function byPosition(a: { p: ManifestProblem; index: number }, b: { p: ManifestProblem; index: number }): number {
  return a.index - b.index || a.p.line - b.p.line || a.p.col - b.p.col;
}
