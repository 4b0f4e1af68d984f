import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigInvalidError } from "../errors.js";
import type { DocPath } from "../manifest/format-path.js";
import type { Locator } from "../manifest/problems.js";
import { createLocator } from "../manifest/yaml/locate-node.js";

/**
 * A YAML file the host's root writes (the agent's config, a policy file for `gitdock validate`),
 * read with positions so that every problem names its `file:line:col`, as the manifest stage's do.
 */
export interface ConfigDocument {
  path: string;
  /** The document as plain JavaScript (an empty file is `{}`). */
  data: unknown;
  locate: Locator;
}

/** One problem of a config: where it is written (or the flag that gave the value), the key, what is wrong. */
export interface ConfigProblem {
  /** `file:line:col`, or the flag as given (`--interval often`). */
  where: string;
  /** Dotted key path, `agent.sync_windows.0.schedule`; empty for the top level. */
  path: string;
  message: string;
}

/** Reads and parses `path`; YAML errors are located too. `what` names the file in messages ("config", "policy file"). */
export async function readConfigDocument(path: string, what: string): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new ConfigInvalidError(`${path}:${pos.line}:${pos.col}: not valid YAML: ${first.message}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  return { path, data, locate: createLocator(doc, lineCounter) };
}

/** Where the values being checked came from: a document (at `base` in it), and flags that replaced some of them. */
export interface IssueSources {
  doc?: ConfigDocument | undefined;
  /** Where the checked value sits in the document: `["security", "policy"]` for a policy inside an agent config. */
  base?: DocPath;
  /** The flag (`--interval often`) that gave the value at `path`, if one did. */
  flagAt?: (path: DocPath) => string | undefined;
}

/**
 * zod's issues as located problems, one per wrong value: an unknown key is placed on the key itself,
 * anything else on the value (or, when the value is missing, on its parent's key).
 */
export function locateIssues(issues: readonly z.core.$ZodIssue[], sources: IssueSources): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const path = [...(sources.base ?? []), ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => problemAt([...path, key], "unknown key", "key", sources));
    return [problemAt(path, issue.message, "value", sources)];
  });
}

function problemAt(path: DocPath, message: string, at: "key" | "value", sources: IssueSources): ConfigProblem {
  const flag = sources.flagAt?.(path);
  const dotted = path.join(".");
  if (flag !== undefined) return { where: flag, path: dotted, message };
  if (sources.doc === undefined) return { where: "(defaults)", path: dotted, message };
  const pos = sources.doc.locate(path, at);
  return { where: `${sources.doc.path}:${pos.line}:${pos.col}`, path: dotted, message };
}

/** `file:line:col: key: message`, or `--flag value: message` for a value a flag gave. */
export function formatConfigProblem(p: ConfigProblem): string {
  if (p.where.startsWith("--")) return `${p.where}: ${p.message}`;
  return `${p.where}: ${p.path || "(top level)"}: ${p.message}`;
}

/** One ConfigInvalidError listing every problem, each on its own line. */
export function configInvalid(title: string, problems: ConfigProblem[], hint?: string): ConfigInvalidError {
  const lines = problems.map(formatConfigProblem);
  return new ConfigInvalidError(`${title}:\n  ${lines.join("\n  ")}`, { ...(hint !== undefined ? { hint } : {}), data: { problems } });
}
