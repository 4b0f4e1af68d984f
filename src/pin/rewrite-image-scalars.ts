import { CST, visit, type Scalar } from "yaml";
import { readComposeSource, type ComposeSource } from "./read-compose-source.js";

export interface ScalarEdit {
  node: Scalar;
  value: string;
}

/** A scalar `gitdock pin` will not rewrite (or the whole rewrite, without `node`), and why. */
export interface EditRefusal {
  node?: Scalar;
  offset: number;
  message: string;
}

/**
 * The file's text with each scalar's value replaced and nothing else changed. The new text of
 * each scalar comes from yaml's CST (`CST.setScalarValue`, which keeps its style: plain, 'single'
 * or "double" quoted, with escapes as that style needs) and the file is printed back from its
 * tokens, so comments, anchors, flow maps, indentation and line endings stay as they were. Then
 * the result is checked byte for byte: it must equal the original with exactly those scalars'
 * spans replaced, parse without problems, and read back the new values there; otherwise nothing
 * is returned for writing.
 */
export function rewriteImageScalars(source: ComposeSource, edits: ScalarEdit[]): { text: string } | { refusals: EditRefusal[] } {
  const refusals: EditRefusal[] = [];
  const spans: Span[] = [];
  for (const edit of edits) {
    const token = edit.node.srcToken;
    if (!token || (token.type !== "scalar" && token.type !== "single-quoted-scalar" && token.type !== "double-quoted-scalar")) {
      const offset = edit.node.range?.[0] ?? 0;
      refusals.push({ node: edit.node, offset, message: "written as a block scalar (| or >); write the image on one line and run gitdock pin again" });
      continue;
    }
    const start = token.offset;
    const end = start + token.source.length;
    CST.setScalarValue(token, edit.value);
    spans.push({ start, end, text: token.source, value: edit.value });
  }
  if (refusals.length) return { refusals };
  const text = source.tokens.map((t) => CST.stringify(t)).join("");
  const problem = verify(source.text, text, spans);
  return problem === undefined ? { text } : { refusals: [{ offset: 0, message: `internal check failed, nothing written: ${problem}` }] };
}

interface Span {
  start: number;
  end: number;
  text: string;
  value: string;
}

function verify(before: string, after: string, spans: Span[]): string | undefined {
  let expected = "";
  let at = 0;
  const valuesAt = new Map<number, string>();
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at) return "two edits overlap";
    expected += before.slice(at, span.start);
    valuesAt.set(expected.length, span.value);
    expected += span.text;
    at = span.end;
  }
  expected += before.slice(at);
  if (after !== expected) return "the rewritten file differs from the original outside the image values";
  const reread = readComposeSource(after);
  if (reread.problems.length || !reread.doc) return `the rewritten file does not parse: ${reread.problems[0]?.message ?? "no document"}`;
  visit(reread.doc, {
    Scalar(_key, node) {
      const offset = node.range?.[0];
      if (offset !== undefined && valuesAt.get(offset) === node.value) valuesAt.delete(offset);
    },
  });
  return valuesAt.size ? `the rewritten file does not read back ${[...valuesAt.values()][0]}` : undefined;
}
