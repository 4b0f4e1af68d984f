import { runBounded } from "../apply/run-bounded.js";
import type { ManifestProblem } from "../errors.js";
import { formatPath } from "../manifest/format-path.js";
import { MAX_MANIFEST_BYTES } from "../manifest/index.js";
import { DEFAULT_TAG, pinnedReference, type ImageReference } from "../registry/index.js";
import { classifyImage, type ImageFinding } from "./classify-image.js";
import { findImageScalars, type ImageScalar } from "./find-image-scalars.js";
import { readComposeSource, type ComposeSource } from "./read-compose-source.js";
import { rewriteImageScalars, type ScalarEdit } from "./rewrite-image-scalars.js";

export interface PinInput {
  /** The name problems and changes are reported under. */
  file: string;
  content: Buffer;
}

export interface PinOptions {
  /** Change nothing: report what is not pinned (with `update`, also what is not current). */
  check: boolean;
  /** Also move pinned `name:tag@digest` references to the tag's current digest. */
  update: boolean;
}

/** The digest a registry serves for a reference's tag; throws (a RegistryLookupError) when it cannot say. */
export type DigestLookup = (ref: ImageReference, tag: string) => Promise<string>;

export interface PinChange extends ManifestProblem {
  from: string;
  to: string;
}

export interface PinOutcome {
  /** References rewritten (or, with `check`, that would be). */
  changes: PinChange[];
  /** Pinned references left as they are (current, when `update` asked the registry). */
  unchanged: number;
  /** What was left alone and why (interpolated values, digests without a tag under `update`). */
  notes: ManifestProblem[];
  /** What stopped the run: nothing may be written when there is any. */
  problems: ManifestProblem[];
  /** New content of each file that changes (empty with `check`). */
  writes: Map<string, Buffer>;
}

type FileEdits = Map<ComposeSource, { file: string; list: ScalarEdit[] }>;

interface Located {
  file: string;
  source: ComposeSource;
  scalar: ImageScalar;
  finding: ImageFinding;
  at: Omit<ManifestProblem, "message">;
}

/**
 * `gitdock pin` without the file system: finds every service's `image:` in each file, asks
 * `lookup` for the digests it needs (each distinct tag once), and returns the changes and the new
 * file contents. With `check` and no `update` nothing is looked up: a pull request's check needs
 * no network. A file that is not YAML, an invalid reference, or a lookup that fails is a problem,
 * and then no file is to be written at all.
 */
export async function pinImages(inputs: PinInput[], opts: PinOptions, lookup: DigestLookup): Promise<PinOutcome> {
  const outcome: PinOutcome = { changes: [], unchanged: 0, notes: [], problems: [], writes: new Map() };
  const located: Located[] = [];
  for (const input of inputs) located.push(...readImages(input, outcome.problems));
  const wanted = located.filter((l) => needsLookup(l.finding, opts));
  const digests = await lookUpDistinct(wanted, lookup);
  const edits: FileEdits = new Map();
  for (const l of located) judge(l, opts, digests, outcome, edits);
  if (opts.check || outcome.problems.length) return outcome;
  const where = new Map(located.map((l) => [l.scalar.node, l.at]));
  for (const [source, { file, list }] of edits) {
    const result = rewriteImageScalars(source, list);
    if ("text" in result) outcome.writes.set(file, Buffer.from(result.text, "utf8"));
    else {
      for (const r of result.refusals) {
        const at = (r.node && where.get(r.node)) ?? { ...position(file, source, r.offset), path: "" };
        outcome.problems.push({ ...at, message: r.message });
      }
    }
  }
  if (outcome.problems.length) outcome.writes.clear();
  return outcome;
}

function readImages(input: PinInput, problems: ManifestProblem[]): Located[] {
  if (input.content.length > MAX_MANIFEST_BYTES) {
    const message = `file is ${input.content.length} bytes; manifests are limited to ${MAX_MANIFEST_BYTES} bytes`;
    problems.push({ file: input.file, line: 1, col: 1, path: "", message });
    return [];
  }
  const text = input.content.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(input.content)) {
    problems.push({ file: input.file, line: 1, col: 1, path: "", message: "not UTF-8 text; gitdock pin rewrites only UTF-8 files" });
    return [];
  }
  const source = readComposeSource(text);
  for (const p of source.problems) problems.push({ ...position(input.file, source, p.offset), path: "", message: p.message });
  if (source.problems.length || !source.doc) return [];
  return findImageScalars(source.doc).map((scalar) => ({
    file: input.file,
    source,
    scalar,
    finding: classifyImage(scalar.value),
    at: { ...position(input.file, source, scalar.node.range?.[0] ?? 0), path: label(scalar) },
  }));
}

function needsLookup(finding: ImageFinding, opts: PinOptions): boolean {
  if (finding.kind === "unpinned") return !opts.check || opts.update;
  return finding.kind === "pinned" && opts.update;
}

type Lookups = Map<string, { digest: string } | { error: string }>;

function lookupKey(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}:${ref.tag ?? DEFAULT_TAG}`;
}

/** Each distinct registry/repository:tag once, four at a time. */
async function lookUpDistinct(wanted: Located[], lookup: DigestLookup): Promise<Lookups> {
  const refs = new Map<string, ImageReference>();
  for (const l of wanted) if ("ref" in l.finding) refs.set(lookupKey(l.finding.ref), l.finding.ref);
  const results: Lookups = new Map();
  await runBounded([...refs.entries()], 4, async ([key, ref]) => {
    try {
      results.set(key, { digest: await lookup(ref, ref.tag ?? DEFAULT_TAG) });
    } catch (err) {
      results.set(key, { error: err instanceof Error ? err.message : String(err) });
    }
  });
  return results;
}

function judge(l: Located, opts: PinOptions, digests: Lookups, outcome: PinOutcome, edits: FileEdits): void {
  const { finding, scalar, at } = l;
  const value = scalar.value;
  switch (finding.kind) {
    case "invalid":
      outcome.problems.push({ ...at, message: finding.problem });
      return;
    case "interpolated":
      outcome.notes.push({ ...at, message: `${value} uses \${VAR} interpolation; left as written (pin the image where the variable's value is set)` });
      return;
    case "digest-only":
      if (opts.update) outcome.notes.push({ ...at, message: `${value} has a digest but no tag, so --update has no tag to follow; left as written` });
      outcome.unchanged++;
      return;
    case "pinned":
      if (!opts.update) {
        outcome.unchanged++;
        return;
      }
      break;
    case "unpinned":
      if (opts.check && !opts.update) {
        outcome.changes.push({ ...at, message: `${value} is not pinned by digest`, from: value, to: "" });
        return;
      }
      break;
  }
  const found = digests.get(lookupKey(finding.ref));
  if (!found || "error" in found) {
    outcome.problems.push({ ...at, message: `${value}: ${found?.error ?? "not looked up"}` });
    return;
  }
  const to = pinnedReference(finding.ref, found.digest);
  if (to === value) {
    outcome.unchanged++;
    return;
  }
  const what = finding.kind === "pinned" ? `not the current digest of ${finding.ref.name}:${finding.ref.tag}` : "not pinned by digest";
  outcome.changes.push({ ...at, message: `${value} is ${what}`, from: value, to });
  const file = edits.get(l.source) ?? { file: l.file, list: [] };
  file.list.push({ node: scalar.node, value: to });
  edits.set(l.source, file);
}

function position(file: string, source: ComposeSource, offset: number): { file: string; line: number; col: number } {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file, line, col };
}

/** `services.web.image`, or for an image shared through an anchor, where it is written and who uses it. */
function label(scalar: ImageScalar): string {
  const own = scalar.services.length === 1 && scalar.path === formatPath(["services", scalar.services[0] ?? "", "image"]);
  return own ? scalar.path : `${scalar.path} (services ${scalar.services.join(", ")})`;
}
