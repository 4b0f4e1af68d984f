import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { ManifestInvalidError, formatProblem, type ManifestProblem } from "../../errors.js";
import { checkEngineRequests } from "../../apply/check-requests.js";
import { COMPOSE_FILE_NAMES, findStackFiles, loadManifest, type ManifestFile, type ManifestSources } from "../../manifest/index.js";
import type { DesiredStack } from "../../model.js";
import { checkPolicy, guardedPaths, readPolicyFile, type HostPolicy } from "../../policy/index.js";
import { DEFAULT_REPO_FILE_SETTINGS } from "../../files/index.js";
import { EXIT } from "../exit-codes.js";

const MAX_DEPTH = 4;

/**
 * `gitdock validate <dir|file>...`: the same checks a sync runs before touching a host, for pull
 * requests: no Docker, no network. A directory is a host path (its stacks are the compose files in
 * it and one level below); a directory with no stacks that close is searched for host paths below.
 * With `--policy FILE`, valid stacks are also checked against that host policy, as a sync would.
 */
export async function validateCommand(targets: string[], opts: { json?: boolean; policy?: string }): Promise<number> {
  const policy = opts.policy === undefined ? undefined : await readPolicyFile(opts.policy);
  const problems: ManifestProblem[] = [];
  let stacks = 0;
  for (const target of targets) {
    for (const group of await stackGroups(target)) {
      try {
        const loaded = loadManifest(group.files, { root: group.root });
        stacks += loaded.stacks.length;
        if (policy) problems.push(...policyProblems(loaded.stacks, policy, loaded.sources));
      } catch (err) {
        if (!(err instanceof ManifestInvalidError)) throw err;
        problems.push(...err.problems);
      }
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, stacks, problems }, null, 2)}\n`);
  else if (problems.length) process.stderr.write(`${problems.map(formatProblem).join("\n")}\n${problems.length} problem(s)\n`);
  else process.stdout.write(`ok: ${stacks} stack(s) valid\n`);
  return problems.length ? EXIT.error : EXIT.ok;
}

/**
 * The host policy as a sync judges it: on the stacks (located at the key that asks), then on the
 * Engine requests they lead to. What needs the host (who owns existing networks and volumes,
 * symlinks under bind roots) is judged by the sync on the host itself.
 */
function policyProblems(stacks: DesiredStack[], policy: HostPolicy, sources: ManifestSources): ManifestProblem[] {
  // Files of the repository are mounted from gitdock's store, read-only, as a sync on the host would.
  const guarded = guardedPaths([], [DEFAULT_REPO_FILE_SETTINGS.store]);
  const onStacks = checkPolicy(stacks, policy, sources, guarded);
  if (onStacks.length) return onStacks;
  return checkEngineRequests({ commit: "0".repeat(40), stacks }, { policy, guarded, agentId: "validate", sources });
}

interface StackGroup {
  root: string;
  files: ManifestFile[];
}

async function stackGroups(target: string): Promise<StackGroup[]> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new Error(`${target}: no such file or directory`);
  if (info.isFile()) return [{ root: displayPath(dirname(target)), files: [await readManifest(target)] }];
  return hostPaths(target, 0);
}

async function hostPaths(dir: string, depth: number): Promise<StackGroup[]> {
  const paths = await listTwoLevels(dir);
  const found = findStackFiles(paths, "");
  if (found.length) return [{ root: displayPath(dir), files: await Promise.all(found.map((p) => readManifest(join(dir, p)))) }];
  if (depth >= MAX_DEPTH) return [];
  const groups: StackGroup[] = [];
  for (const sub of await subdirectories(dir)) groups.push(...(await hostPaths(join(dir, sub), depth + 1)));
  return groups;
}

async function listTwoLevels(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && COMPOSE_FILE_NAMES.includes(entry.name)) paths.push(entry.name);
    if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules") {
      for (const child of await readdir(join(dir, entry.name), { withFileTypes: true })) {
        if (child.isFile() && COMPOSE_FILE_NAMES.includes(child.name)) paths.push(`${entry.name}/${child.name}`);
      }
    }
  }
  return paths;
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules").map((e) => e.name);
}

async function readManifest(path: string): Promise<ManifestFile> {
  return { path: displayPath(path), content: await readFile(path, "utf8") };
}

/**
 * Paths as the user will look them up: relative to the working directory when inside it, else
 * absolute. Roots and files use the same form so the stack directory names come out right.
 */
function displayPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs);
  return rel === "" || rel.startsWith("..") ? abs : rel;
}
