import type { RepoTree } from "../repo-tree.js";
import { discoverStacks, stackDirectories } from "./discover-stacks.js";
import { LoadEnvironment, type ManifestInputs } from "./load-environment.js";
import type { SourceFile } from "./source-files.js";
import { stackProject } from "./stack-project.js";

/**
 * The project names of the stacks in `tree`, as far as they can be told before loading: the host
 * reads each project's variables file (`<variables_dir>/<project>.env`) before the manifest is
 * loaded with them. Problems are left for the load itself to report.
 */
export function manifestProjects(tree: RepoTree, inputs: Pick<ManifestInputs, "processEnvironment"> & { root?: string } = {}): string[] {
  const root = (inputs.root ?? tree.root).replace(/(.)\/+$/, "$1");
  const env = new LoadEnvironment(tree, root, { processEnvironment: inputs.processEnvironment });
  const projects = new Set<string>();
  for (const plan of discoverStacks(tree, stackDirectories(tree, root), env.files, env.log, root)) {
    try {
      const sources = plan.files.map((f) => env.files.get(f));
      if (sources.some((s) => s === undefined)) continue;
      const { project } = stackProject(plan.main, plan.dir, root, sources as SourceFile[], env.scopeFor(plan.dir, undefined), env.log);
      if (project !== undefined) projects.add(project);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
  }
  return [...projects].sort();
}
