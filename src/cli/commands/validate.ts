import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { DEFAULT_SECRETS_RUNTIME_DIR } from "../../manifest/files/encrypted-repo-files.js";
import { decryptCommitFiles, manifestSecretsOf } from "../../manifest/files/decrypt-commit-files.js";
import { loadIdentityFile, type HostIdentities } from "../../secrets/host-identities.js";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ConfigInvalidError, HostVariableMissingError, ManifestInvalidError, formatProblem, type ManifestProblem } from "../../errors.js";
import { checkEngineRequests } from "../../apply/check-requests.js";
import { judgeSwarmRequests } from "../../swarm/index.js";
import {
  COMPOSE_FILE_NAMES,
  OVERRIDE_FILE_NAMES,
  STACK_INDEX_NAMES,
  groupSharedProblems,
  loadManifest,
  parseDotenv,
  type HostVariables,
  type LoadedManifest,
  type ManifestEngine,
  type ManifestSources,
} from "../../manifest/index.js";
import type { RepoTree } from "../../manifest/repo-tree.js";
import type { DesiredStack, EncryptedFileUse } from "../../model.js";
import { readPolicyFile, readPolicyFileEngine } from "../../config/read-policy-file.js";
import { checkPolicy, guardedPaths, type HostPolicy } from "../../policy/index.js";
import { DEFAULT_REPO_FILE_SETTINGS } from "../../manifest/index.js";
import { readDirectoryTree } from "../../source/read-directory-tree.js";
import { EXIT } from "../exit-codes.js";
import { FLEET_FILE_NAME, parseFleetFile } from "../../fleet/read-fleet-file.js";

const MAX_DEPTH = 4;

export interface ValidateOptions {
  json?: boolean;
  policy?: string;
  /** The host's variables for every stack validated (a copy of the host's file, without secrets ideally). */
  envFile?: string;
  /** Active profiles, as `manifest.profiles` would be on the host. */
  profile?: string[];
  /** Notes (variables only the host sets, Compose files no stack deploys) fail the run too. */
  strict?: boolean;
  /** A host's key (age identities or an armored OpenPGP private key): encrypted files are also decrypted and their MACs checked. */
  identity?: string;
  /** What the host runs the stacks as; default the `--policy` agent config's `engine:`, else containers. */
  engine?: ManifestEngine;
}

/**
 * `gitdock validate <dir|file>...`: the same checks a sync runs before touching a host, for pull
 * requests: no Docker, no network. A directory is read whole as a RepoTree (as a commit would
 * be); it is a host path when it or a directory right below it holds a stack or a Compose file,
 * else its subdirectories are searched for host paths. A file stands for the stack of its directory.
 *
 * Without `--env-file` the host's variables are not known: a `${VAR}` that only the host sets is
 * a note (a warning, exit 0), what depends on it is not judged, and `--strict` makes the notes
 * problems. With `--policy FILE`, valid stacks are also checked against that host policy.
 */
export async function validateCommand(targets: string[], opts: ValidateOptions): Promise<number> {
  const policy = opts.policy === undefined ? undefined : await readPolicyFile(opts.policy);
  const hostVariables = opts.envFile === undefined ? undefined : await readEnvFileOption(opts.envFile);
  const identities = opts.identity === undefined ? undefined : await loadIdentityFile(opts.identity);
  const engine = opts.engine ?? (opts.policy === undefined ? undefined : await readPolicyFileEngine(opts.policy)) ?? "containers";
  const problems: ManifestProblem[] = [];
  const notes: ManifestProblem[] = [];
  let stacks = 0;
  const encrypted: EncryptedFileUse[] = [];
  for (const target of targets) {
    problems.push(...(await fleetFileProblems(target)));
    for (const host of await hostPathsOf(target)) {
      try {
        const loaded = await load(host, hostVariables, opts.profile ?? [], identities, engine);
        stacks += loaded.stacks.length;
        encrypted.push(...loaded.stacks.flatMap((s) => s.encryptedFiles ?? []));
        notes.push(...loaded.notes);
        if (policy) problems.push(...groupSharedProblems(loaded.sources.maskHostValues(policyProblems(loaded.stacks, policy, loaded.sources, engine))));
      } catch (err) {
        if (!(err instanceof ManifestInvalidError) && !(err instanceof HostVariableMissingError)) throw err;
        problems.push(...err.problems);
      }
    }
  }
  if (opts.strict) problems.push(...notes.splice(0));
  report(stacks, problems, notes, opts.json === true, encrypted);
  return problems.length ? EXIT.error : EXIT.ok;
}

/** Every fleet file (`fleet.yaml`) in a validated directory, checked as a host reads it. */
async function fleetFileProblems(target: string): Promise<ManifestProblem[]> {
  const info = await stat(target).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const entries = await readdir(target, { recursive: true });
  const files = entries.filter((e) => basename(e) === FLEET_FILE_NAME && !e.split(sep).some((part) => part === ".git" || part === "node_modules"));
  const problems: ManifestProblem[] = [];
  for (const rel of files) {
    const file = join(target, rel);
    problems.push(...parseFleetFile(file, await readFile(file, "utf8")).problems);
  }
  return problems;
}

function report(stacks: number, problems: ManifestProblem[], warnings: ManifestProblem[], json: boolean, encrypted: EncryptedFileUse[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, stacks, problems, warnings, encryptedFiles: encrypted }, null, 2)}\n`);
    return;
  }
  // The encrypted files the valid stacks use, with whom they are for (and, with --identity, that they decrypted).
  for (const f of encrypted) {
    const checked = !f.decrypted ? "structure checked (no key)" : f.kind === "sops" ? "decrypted, MAC checked" : "decrypted and authenticated";
    process.stdout.write(
      `encrypted ${f.usedAs}: ${f.repoPath} (${f.kind === "sops" ? `SOPS ${f.format}` : "age file"}, for ${f.recipients.join(", ")}): ${checked}\n`,
    );
  }
  const lines = [...problems.map(formatProblem), ...warnings.map((w) => formatProblem({ ...w, message: `warning: ${w.message}` }))];
  if (lines.length) process.stderr.write(`${lines.join("\n")}\n`);
  const warned = warnings.length ? `, ${warnings.length} warning(s) (--strict fails on them)` : "";
  if (problems.length) process.stderr.write(`${problems.length} problem(s)${warned}\n`);
  else process.stdout.write(`ok: ${stacks} stack(s) valid${warned}\n`);
}

/**
 * Files of the repository resolve as on a host with the default settings, whose store the policy
 * check excuses (read-only). Encrypted files are judged by their structure (metadata, MAC present,
 * recipients, every value that should be encrypted encrypted); with `--identity`, they are also
 * decrypted in memory and their MACs checked, as on a host holding that key.
 */
async function load(
  host: HostPath,
  hostVariables: HostVariables | undefined,
  profiles: string[],
  identities: HostIdentities | undefined,
  engine: ManifestEngine,
): Promise<LoadedManifest> {
  const secrets =
    identities && manifestSecretsOf(await decryptCommitFiles(host.tree, host.root, identities), identities, DEFAULT_SECRETS_RUNTIME_DIR, randomBytes(32));
  const inputs = {
    root: host.root,
    engine,
    profiles,
    files: DEFAULT_REPO_FILE_SETTINGS,
    belowRoot: host.belowRoot,
    ...(hostVariables ? { hostVariables } : {}),
    ...(secrets ? { secrets } : {}),
  };
  return loadManifest(host.tree, inputs);
}

/**
 * The host policy as a sync judges it: on the stacks (located at the key that asks), then on the
 * Engine requests they lead to. What needs the host (who owns existing networks and volumes,
 * symlinks under bind roots) is judged by the sync on the host itself.
 */
function policyProblems(stacks: DesiredStack[], policy: HostPolicy, sources: ManifestSources, engine: ManifestEngine): ManifestProblem[] {
  // Files of the repository are mounted from gitdock's store, read-only, as a sync on the host would.
  const guarded = guardedPaths([DEFAULT_SECRETS_RUNTIME_DIR], [DEFAULT_REPO_FILE_SETTINGS.store, DEFAULT_SECRETS_RUNTIME_DIR]);
  const onStacks = checkPolicy(stacks, policy, sources, guarded);
  if (onStacks.length) return onStacks;
  const desired = { commit: "0".repeat(40), stacks };
  const check = { policy, guarded, agentId: "validate", sources };
  return engine === "swarm" ? judgeSwarmRequests(desired, check) : checkEngineRequests(desired, check);
}

/** `--env-file FILE`: KEY=VALUE lines, standing in for every validated project's host variables file. */
async function readEnvFileOption(path: string): Promise<HostVariables> {
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new ConfigInvalidError(`--env-file ${path} cannot be read: ${err.code ?? err.message}`);
  });
  const parsed = parseDotenv(text);
  const first = parsed.problems[0];
  if (first) throw new ConfigInvalidError(`--env-file ${path}:${first.line}: ${first.message}`);
  return { fileFor: () => path, valuesFor: () => parsed.values };
}

interface HostPath {
  tree: RepoTree;
  root: string;
  /** False for a file: only the stack of its directory is judged (the tree still holds what it mounts below). */
  belowRoot: boolean;
}

async function hostPathsOf(target: string): Promise<HostPath[]> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new Error(`${target}: no such file or directory`);
  if (info.isFile()) {
    // The stack of the file's directory, and nothing below it.
    const root = displayPath(dirname(target));
    return [{ tree: await readDirectoryTree(dirname(target), root), root, belowRoot: false }];
  }
  const root = displayPath(target);
  const tree = await readDirectoryTree(target, root);
  return hostPathsIn(tree, root, 0);
}

/** A host path holds stack files in it or right below it; otherwise its subdirectories are searched. */
function hostPathsIn(tree: RepoTree, dir: string, depth: number): HostPath[] {
  const children = [...tree.dirs].filter((d) => d !== dir && dirname(d) === dir && !hidden(basename(d))).sort();
  const holdsStacks = [...tree.files.keys()].some((p) => isStackFileName(basename(p)) && (dirname(p) === dir || children.includes(dirname(p))));
  if (holdsStacks) return [{ tree, root: dir, belowRoot: true }];
  if (depth >= MAX_DEPTH) return [];
  return children.flatMap((child) => hostPathsIn(tree, child, depth + 1));
}

function isStackFileName(name: string): boolean {
  return [...COMPOSE_FILE_NAMES, ...OVERRIDE_FILE_NAMES, ...STACK_INDEX_NAMES].includes(name) || /compose.*\.ya?ml$/i.test(name);
}

function hidden(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
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
