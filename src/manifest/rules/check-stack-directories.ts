import type { LoadedFile } from "../load/loaded-file.js";

/** Two compose files in one directory would both claim its name; gitdock will not guess which. */
export function checkStackDirectories(files: LoadedFile[]): void {
  const byDir = new Map<string, LoadedFile[]>();
  for (const f of files) {
    byDir.set(f.dir, [...(byDir.get(f.dir) ?? []), f]);
  }
  for (const group of byDir.values()) {
    if (group.length < 2) continue;
    for (const f of group) {
      const others = group.filter((g) => g !== f).map((g) => g.file);
      f.problems.reportAt(
        { line: 1, col: 1 },
        "",
        `ambiguous stack: ${others.join(", ")} is in the same directory; keep one compose file per directory (or list the files to merge in a gitdock.yaml)`,
      );
    }
  }
}
