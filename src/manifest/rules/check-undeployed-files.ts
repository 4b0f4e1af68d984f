import { posix } from "node:path";
import { parse } from "yaml";
import { COMPOSE_FILE_NAMES } from "../find-stack-files.js";
import type { ProblemLog } from "../load/problem-log.js";
import { textOf, type RepoTree } from "../repo-tree.js";
import { STACK_INDEX_NAMES } from "../schema/stack-index-schema.js";

/**
 * A Compose file gitdock would never deploy must not pass as "valid": a directory that holds
 * `docker-compose.prod.yml` and no stack is an error naming the file and how to deploy it (a
 * `gitdock.yaml` listing it). Next to a stack, such a file is a note: Compose would ignore it too,
 * but it may be meant to be merged. Files a stack reads (`extends`, `include`, an index) count as
 * deployed. Only YAML files that look like Compose files are judged: a name with "compose" in it,
 * or a top-level `services:` mapping; configuration files that sit next to stacks are left alone.
 */
export function checkUndeployedFiles(
  tree: RepoTree,
  dirs: readonly string[],
  byDir: ReadonlyMap<string, readonly string[]>,
  stackDirs: ReadonlySet<string>,
  used: ReadonlySet<string>,
  log: ProblemLog,
): void {
  for (const dir of dirs) {
    const idle = (byDir.get(dir) ?? []).filter((p) => !used.has(p) && isYaml(p) && !STACK_INDEX_NAMES.includes(posix.basename(p)) && looksLikeCompose(tree, p));
    for (const file of idle) {
      const name = posix.basename(file);
      const where = dir === "" ? "the repository root" : dir;
      const index = dir === "" ? "gitdock.yaml" : `${dir}/gitdock.yaml`;
      const message = stackDirs.has(dir)
        ? `${name} is not part of the stack in ${where} (it is neither its compose file nor its override file) and is not deployed; to merge it, list the stack's files in ${index} (files: [..., ${name}])`
        : `no stack in ${where}: ${name} is not a file gitdock deploys (${COMPOSE_FILE_NAMES.join(", ")}); to deploy it, list it in ${index} (files: [${name}]) or rename it`;
      log.add({ file, at: { pos: { line: 1, col: 1 }, path: "" }, logical: [], message, note: stackDirs.has(dir) });
    }
  }
}

function isYaml(path: string): boolean {
  const name = posix.basename(path);
  return !name.startsWith(".") && /\.ya?ml$/i.test(name);
}

function looksLikeCompose(tree: RepoTree, path: string): boolean {
  if (/compose/i.test(posix.basename(path))) return true;
  const text = textOf(tree, path);
  if (text === undefined || text.length > 1024 * 1024) return false;
  try {
    const data: unknown = parse(text, { maxAliasCount: 100, logLevel: "silent" });
    const services = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["services"] : undefined;
    return typeof services === "object" && services !== null && !Array.isArray(services);
  } catch {
    return false;
  }
}
