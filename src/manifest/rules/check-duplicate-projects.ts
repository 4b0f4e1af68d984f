import type { LoadedFile } from "../load/loaded-file.js";

/** Each stack owns the containers, networks and volumes of its project name; two files cannot share one. */
export function checkDuplicateProjects(files: LoadedFile[]): void {
  const byProject = new Map<string, LoadedFile[]>();
  for (const f of files) {
    if (f.project !== undefined) byProject.set(f.project, [...(byProject.get(f.project) ?? []), f]);
  }
  for (const [project, group] of byProject) {
    if (group.length < 2) continue;
    for (const f of group) {
      const others = group.filter((g) => g !== f).map((g) => g.file);
      f.problems.report(f.projectFromName ? ["name"] : [], `project name "${project}" is also used by ${others.join(", ")}; set a distinct top-level name:`);
    }
  }
}
