/** A manifest as read from Git: `path` relative to the repository root with `/` separators. */
export interface ManifestFile {
  path: string;
  content: string;
}

/** The file names Compose itself looks for, in its order of preference. */
export const COMPOSE_FILE_NAMES: readonly string[] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/**
 * The stack files among `allPaths`: a compose file directly in `root` or in a directory right
 * below it (`root/<stack>/compose.yaml`). `root` is relative to the repository root; `''` (or
 * `.`) is the repository root itself. Two files in one directory are both returned: `loadStacks`
 * reports the ambiguity, with a position, rather than this function picking one.
 */
export function findStackFiles(allPaths: string[], root: string): string[] {
  const base = normalizeRoot(root);
  const found = allPaths.filter((path) => {
    const rel = base === "" ? path : path.startsWith(`${base}/`) ? path.slice(base.length + 1) : undefined;
    if (rel === undefined) return false;
    const parts = rel.split("/");
    return parts.length <= 2 && !parts.includes("") && COMPOSE_FILE_NAMES.includes(parts.at(-1) ?? "");
  });
  return [...new Set(found)].sort();
}

/** `./stacks/`, `stacks/` and `stacks` are the same root; `.` and `/` are the repository root. */
export function normalizeRoot(root: string): string {
  return root
    .replace(/^(?:\.\/)+/, "")
    .replace(/^\/+|\/+$/g, "")
    .replace(/^\.$/, "");
}
