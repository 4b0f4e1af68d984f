import type { CommitFiles } from "../../files/commit-files.js";
import type { ManifestFile } from "../find-stack-files.js";
import { normalizeStack } from "../normalize/normalize-stack.js";
import { FileProblems } from "../problems.js";
import { checkDependencyCycles } from "../rules/check-dependency-cycles.js";
import { checkImagesPinned } from "../rules/check-image-pinned.js";
import { checkNames } from "../rules/check-names.js";
import { checkNamespaceModes } from "../rules/check-namespace-modes.js";
import { checkNetworkModes } from "../rules/check-network-modes.js";
import { checkReservedLabels } from "../rules/check-reserved-labels.js";
import { checkStartFirstPorts } from "../rules/check-start-first-ports.js";
import { validateCompose } from "../validate/validate-compose.js";
import { copyDocument } from "../yaml/copy-document.js";
import { createLocator } from "../yaml/locate-node.js";
import { readYamlDocument } from "../yaml/read-yaml-document.js";
import { writtenScalarOf } from "../yaml/written-scalar.js";
import type { LoadedFile } from "./loaded-file.js";
import { resolveProjectName } from "./resolve-project-name.js";

/** Stands in for a project name that could not be resolved, so the services are still checked. */
const UNRESOLVED_PROJECT = "unresolved";

/**
 * Reads one manifest: YAML, interpolation, schema, project name, normalization and the rules that
 * need only this file. It goes as far as it can and collects every problem on the way.
 */
export function loadStackFile(file: ManifestFile, root: string, files: CommitFiles): LoadedFile {
  const problems = new FileProblems(file.path);
  const loaded: LoadedFile = { file: file.path, problems, project: undefined, projectFromName: false, stack: undefined, source: undefined };
  try {
    load(file, root, files, loaded);
  } catch (err) {
    // Recursion in the YAML parser or zod on a pathologically nested document.
    if (!(err instanceof RangeError)) throw err;
    problems.reportAt({ line: 1, col: 1 }, "", "the document is nested too deeply to read");
  }
  return loaded;
}

function load(file: ManifestFile, root: string, files: CommitFiles, loaded: LoadedFile): void {
  const { problems } = loaded;
  const source = readYamlDocument(file.content, problems);
  if (source === undefined) return;
  const copy = copyDocument(source.data, problems);
  if (!copy.complete) return;
  loaded.source = { locate: createLocator(source.doc, source.lineCounter), data: copy.data };
  const compose = validateCompose(copy.data, problems);
  if (compose === undefined) return;
  loaded.project = resolveProjectName(file.path, root, compose, problems);
  loaded.projectFromName = compose.nameGiven;
  checkNames(compose, problems);
  checkImagesPinned(compose.services, problems);
  checkNetworkModes(compose.services, compose.serviceNames, problems);
  checkNamespaceModes(compose.services, compose.serviceNames, problems);
  const project = loaded.project ?? UNRESOLVED_PROJECT;
  const sources = { files: files.forStack(file.path, project), writtenScalar: writtenScalarOf(source.doc) };
  const stack = normalizeStack(file.path, project, compose, problems, sources);
  checkDependencyCycles(stack.services, problems);
  checkReservedLabels(stack.services, problems);
  checkStartFirstPorts(stack.services, problems);
  if (loaded.project !== undefined) loaded.stack = stack;
}
