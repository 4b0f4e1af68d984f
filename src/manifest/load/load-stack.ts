import type { DesiredStack } from "../../model.js";
import type { DocPath } from "../format-path.js";
import { HostValueMask } from "../interpolate/host-value-mask.js";
import { interpolateDocument } from "../interpolate/interpolate-document.js";
import { placeSubstitutions, SubstitutionLog } from "../interpolate/substitutions.js";
import type { VariableScope } from "../interpolate/variable-scope.js";
import { MergeBudget, MergeBudgetExceeded } from "../merge/merge-budget.js";
import { mergeSlots, type Slot } from "../merge/merge-documents.js";
import { Origins } from "../merge/origins.js";
import { resolveExtends, type ExtendsContext } from "../merge/resolve-extends.js";
import { resolveIncludes, type IncludeContext } from "../merge/resolve-include.js";
import { normalizeStack, type StackSources } from "../normalize/normalize-stack.js";
import { applyProfiles } from "../rules/apply-profiles.js";
import { checkDependencyCycles } from "../rules/check-dependency-cycles.js";
import { checkImagesPinned } from "../rules/check-image-pinned.js";
import { checkNames } from "../rules/check-names.js";
import { checkNamespaceModes } from "../rules/check-namespace-modes.js";
import { checkNetworkModes } from "../rules/check-network-modes.js";
import { checkReservedLabels } from "../rules/check-reserved-labels.js";
import { checkStartFirstPorts } from "../rules/check-start-first-ports.js";
import { checkRunToCompletion } from "../rules/check-run-to-completion.js";
import { validateCompose } from "../validate/validate-compose.js";
import type { StackPlan } from "./discover-stacks.js";
import type { LoadEnvironment } from "./load-environment.js";
import type { LoadedFile } from "./loaded-file.js";
import { passThroughEnvironment } from "./pass-through-environment.js";
import { joinRepoPath } from "../repo-tree.js";
import { dirOf } from "./repo-paths.js";
import type { SourceFile } from "./source-files.js";
import { stackProject } from "./stack-project.js";
import { StackSink } from "./stack-sink.js";

/** Stands in for a project name that could not be resolved, so the services are still checked. */
const UNRESOLVED_PROJECT = "unresolved";

/**
 * Reads one stack: its files parsed, its project name, variables substituted in each file,
 * `extends` resolved, the files merged in order, `include` added, variables passed through to
 * `environment`, then schema, normalization, the rules that need only this stack, and profiles.
 * It goes as far as it can and collects every problem on the way.
 */
export function loadStack(plan: StackPlan, env: LoadEnvironment): LoadedFile {
  const problems = new StackSink(env.log, plan.main);
  const loaded: LoadedFile = {
    file: plan.main,
    dir: plan.dir,
    plan,
    problems,
    project: undefined,
    projectFromName: false,
    stack: undefined,
    source: undefined,
  };
  try {
    load(plan, env, loaded, problems);
  } catch (err) {
    if (err instanceof MergeBudgetExceeded) {
      problems.reportAt({ line: 1, col: 1 }, "", err.message);
      return loaded;
    }
    // Recursion in the YAML parser, interpolation or zod on a pathologically nested document.
    if (!(err instanceof RangeError)) throw err;
    problems.reportAt({ line: 1, col: 1 }, "", "the document is nested too deeply to read");
  }
  return loaded;
}

function load(plan: StackPlan, env: LoadEnvironment, loaded: LoadedFile, problems: StackSink): void {
  for (const f of [...plan.files, ...(plan.index ? [plan.index] : [])]) env.used.add(f);
  const sources = plan.files.map((f) => env.files.get(f));
  if (sources.some((s) => s === undefined)) return;
  const named = stackProject(plan.main, plan.dir, env.nameRoot, sources as SourceFile[], env.scopeFor(plan.dir, undefined), env.log);
  loaded.project = named.project;
  loaded.projectFromName = named.fromName;
  const scope = env.scopeFor(plan.dir, named.project);
  const assembly = new Assembly(env, scope);
  const merged = assembly.stack(plan.files, plan.dir);
  if (merged === undefined) return;
  const withName = named.name === undefined ? merged : assembly.withName(merged, named.name);
  const passed = passThroughEnvironment(withName, scope.passThrough(), assembly.origins);
  const placed = [...placeSubstitutions(passed.doc, assembly.origins, assembly.substitutions), ...passed.filled];
  const mask = new HostValueMask(placed, scope.hostValues(), scope.hostFile);
  problems.attach(passed.doc, assembly.origins, mask);
  loaded.source = { data: passed.doc, origins: assembly.origins, mask };
  const project = loaded.project ?? UNRESOLVED_PROJECT;
  const stack = check(plan, project, passed.doc, problems, env.profiles, stackSources(plan, project, passed.doc, assembly, env));
  if (loaded.project !== undefined) loaded.stack = stack;
}

/**
 * What the stack reads of the repository besides its Compose files. A relative path (a bind
 * source, an env_file, a config's file, a secret's file) is resolved as Compose resolves it, from
 * the file that wrote it: the stack's directory for the stack's own files, the extended file's
 * directory for what `extends` brought in, the included project's directory for an included file.
 * A file mode is read as written in whichever file wrote it.
 */
function stackSources(plan: StackPlan, project: string, doc: unknown, assembly: Assembly, env: LoadEnvironment): StackSources {
  const origin = (at: DocPath) => assembly.origins.at(doc, at);
  return {
    engine: env.engine,
    files: env.repoFiles.forStack(plan.dir, project, (at) => assembly.directoryOf(origin(at)?.file ?? plan.main)),
    writtenScalar: (at) => {
      const written = origin(at);
      return written && env.files.get(written.file)?.writtenScalar(written.path);
    },
  };
}

/** Schema, normalization and the rules of one stack, on its merged document. */
function check(
  plan: StackPlan,
  project: string,
  doc: unknown,
  problems: StackSink,
  profiles: readonly string[],
  sources: StackSources,
): DesiredStack | undefined {
  const compose = validateCompose(doc, problems, sources.engine);
  if (compose === undefined) return undefined;
  checkNames(compose, problems);
  checkImagesPinned(compose.services, problems);
  checkNetworkModes(compose.services, compose.serviceNames, problems);
  checkNamespaceModes(compose.services, compose.serviceNames, problems);
  const stack = normalizeStack(plan.main, project, compose, problems, sources);
  checkDependencyCycles(stack.services, problems);
  checkReservedLabels(stack.services, problems);
  checkStartFirstPorts(stack.services, problems);
  checkRunToCompletion(stack.services, problems);
  return applyProfiles(stack, compose.services, profiles, problems);
}

/**
 * Puts one stack's document together from its files, in one variable scope. Files are
 * interpolated once per scope (an included project has its own `.env` under the stack's).
 */
class Assembly {
  readonly origins = new Origins();
  readonly substitutions = new SubstitutionLog();
  private readonly budget = new MergeBudget();
  private readonly interpolated = new Map<VariableScope, Map<string, unknown>>();
  /** Included projects by their files and env files, per scope: a project included twice is read once. */
  private readonly included = new Map<VariableScope, Map<string, unknown>>();
  /** The project directory of the stack's own files and of included projects' files (relative paths start there). */
  private readonly projectDirs = new Map<string, string>();

  constructor(
    private readonly env: LoadEnvironment,
    private readonly scope: VariableScope,
  ) {}

  /** The stack's files (its directory `dir`) merged in order, with `extends` and `include` resolved. */
  stack(paths: string[], dir: string): unknown {
    for (const path of paths) this.projectDirs.set(path, dir);
    const merged = this.project(paths, this.scope);
    return merged === undefined ? undefined : resolveIncludes(merged, paths, this.includeContext(this.scope));
  }

  /**
   * The directory relative paths written in `file` start from. As in Compose: a project's files
   * (the stack's, or an included project's, override files too) from their project's directory
   * (the stack's directory; the directory of an include's first file), and an extended file that
   * is neither from its own directory.
   */
  directoryOf(file: string): string {
    return this.projectDirs.get(file) ?? dirOf(file);
  }

  withName(doc: unknown, name: string): unknown {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return doc;
    const out = { ...(doc as Record<string, unknown>), name };
    const origin = this.origins.of(doc);
    if (origin) this.origins.set(out, origin);
    for (const key of Object.keys(out)) {
      const at = this.origins.childOf(doc, key);
      if (at) this.origins.setChild(out, key, at);
    }
    return out;
  }

  /** Files merged in order, each with its `extends` resolved; undefined when one could not be read. */
  private project(paths: string[], scope: VariableScope): unknown {
    let merged: Slot | undefined;
    for (const path of paths) {
      const doc = this.file(path, scope);
      if (doc === undefined) return undefined;
      const resolved = resolveExtends(doc, path, this.extendsContext(scope));
      merged = mergeSlots(merged, { value: resolved, at: { file: path, path: [] } }, [], this.mergeContext());
    }
    return merged?.value;
  }

  private file(path: string, scope: VariableScope): unknown {
    let cache = this.interpolated.get(scope);
    if (!cache) this.interpolated.set(scope, (cache = new Map<string, unknown>()));
    if (cache.has(path)) return cache.get(path);
    this.env.used.add(path);
    const source = this.env.files.get(path);
    const doc =
      source === undefined ? undefined : interpolateDocument(source, scope, { origins: this.origins, substitutions: this.substitutions, log: this.env.log });
    cache.set(path, doc);
    return doc;
  }

  private mergeContext() {
    return { origins: this.origins, files: this.env.files, log: this.env.log, budget: this.budget };
  }

  private extendsContext(scope: VariableScope): ExtendsContext {
    return { ...this.mergeContext(), root: this.env.root, load: (p) => this.file(p, scope), exists: (p) => this.env.files.has(p) };
  }

  private includeContext(scope: VariableScope): IncludeContext {
    return {
      ...this.mergeContext(),
      root: this.env.root,
      exists: (p) => this.env.files.has(p),
      loadProject: (paths, envFiles, chain) => {
        let cache = this.included.get(scope);
        if (!cache) this.included.set(scope, (cache = new Map<string, unknown>()));
        const key = JSON.stringify([paths, envFiles ?? null]);
        if (!cache.has(key)) {
          for (const path of paths) if (!this.projectDirs.has(path)) this.projectDirs.set(path, dirOf(paths[0] as string));
          const layers = this.env.repositoryLayers(envFiles ?? [joinRepoPath(dirOf(paths[0] as string), ".env")]);
          const included = scope.under(layers);
          const merged = this.project(paths, included);
          cache.set(key, merged === undefined ? undefined : resolveIncludes(merged, chain, this.includeContext(included)));
        }
        return cache.get(key);
      },
    };
  }
}
