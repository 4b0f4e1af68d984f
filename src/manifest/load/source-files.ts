import type { Position } from "../problems.js";
import { FileProblems } from "../problems.js";
import { textOf, type RepoTree } from "../repo-tree.js";
import { copyDocument } from "../yaml/copy-document.js";
import { createPlacer, type Placer, type WrittenPlace } from "../yaml/locate-node.js";
import { pathKey, type MergeTag } from "../yaml/merge-tags.js";
import { readYamlDocument } from "../yaml/read-yaml-document.js";
import { writtenScalarOf, type WrittenScalar } from "../yaml/written-scalar.js";
import type { DocPath } from "../format-path.js";

/** One YAML file of the repository, parsed, with what is needed to point into it. */
export interface SourceFile {
  path: string;
  /** Plain data as written (anchored nodes shared); undefined when the file could not be read. */
  data: unknown;
  place: Placer;
  tagAt(path: DocPath): MergeTag | undefined;
  /** The text of a plain scalar as written (a file mode like `0440`, which YAML 1.2 reads as decimal). */
  writtenScalar: WrittenScalar;
}

const NOWHERE: WrittenPlace = { pos: { line: 1, col: 1 }, written: [], anchor: undefined };

/**
 * The YAML files one load reads (stack files, override files, extended and included files, index
 * files), each parsed once however many stacks use it. Problems found while parsing go to the
 * file's own list; `rank` orders files as they were first read, for sorting problems.
 */
export class SourceFiles {
  private readonly parsed = new Map<string, SourceFile | undefined>();
  private readonly problems = new Map<string, FileProblems>();
  private tagged = false;

  constructor(readonly tree: RepoTree) {}

  /** True once any file read so far carries `!reset` or `!override`: merging only looks for them then. */
  get anyMergeTags(): boolean {
    return this.tagged;
  }

  has(path: string): boolean {
    return this.tree.files.has(path);
  }

  /** The parsed file; undefined when it is missing or does not parse (its problems are recorded). */
  get(path: string): SourceFile | undefined {
    if (this.parsed.has(path)) return this.parsed.get(path);
    const problems = this.problemsOf(path);
    const file = this.parse(path, problems);
    this.parsed.set(path, file);
    return file;
  }

  problemsOf(path: string): FileProblems {
    let list = this.problems.get(path);
    if (!list) this.problems.set(path, (list = new FileProblems(path)));
    return list;
  }

  /** Where `path` of `file` is written; 1:1 for a file that did not parse. */
  place(file: string, path: DocPath, at: "key" | "value"): WrittenPlace {
    const source = this.parsed.get(file);
    return source ? source.place(path, at) : { ...NOWHERE, written: path };
  }

  /** Files in the order they were first read. */
  rank(file: string): number {
    const i = [...this.problems.keys()].indexOf(file);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  }

  /** Problems found while parsing, in the order files were read. */
  parseProblems(): FileProblems[] {
    return [...this.problems.values()];
  }

  private parse(path: string, problems: FileProblems): SourceFile | undefined {
    const content = textOf(this.tree, path);
    if (content === undefined) return undefined;
    try {
      const source = readYamlDocument(content, problems);
      if (source === undefined) return undefined;
      const copy = copyDocument(source.data, problems);
      if (!copy.complete) return undefined;
      const tags = source.tags;
      if (tags.size > 0) this.tagged = true;
      return {
        path,
        data: copy.data,
        place: createPlacer(source.doc, source.lineCounter),
        tagAt: (p) => tags.get(pathKey(p)),
        writtenScalar: writtenScalarOf(source.doc),
      };
    } catch (err) {
      // Recursion in the YAML parser on a pathologically nested document.
      if (!(err instanceof RangeError)) throw err;
      problems.reportAt({ line: 1, col: 1 } satisfies Position, "", "the document is nested too deeply to read");
      return undefined;
    }
  }
}
