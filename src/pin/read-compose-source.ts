import { Composer, LineCounter, Parser, type CST, type Document } from "yaml";

/** A Compose file parsed for rewriting: the CST tokens (which print back byte for byte) and the document built from them. */
export interface ComposeSource {
  text: string;
  /** The parser's top-level tokens; `CST.stringify` of each, joined, gives `text` back. */
  tokens: CST.Token[];
  /** Built with `keepSourceTokens`, so every scalar node points at the token it came from. */
  doc: Document | undefined;
  lineCounter: LineCounter;
  /** YAML errors and warnings, at their offsets: a file with any is not rewritten. */
  problems: { offset: number; message: string }[];
}

/**
 * Parses like the manifest stage (src/manifest/yaml/read-yaml-document.ts: merge keys, unique
 * keys, no `!!binary`/`!!set`), keeping the tokens so that a scalar can be changed without
 * reprinting anything else.
 */
export function readComposeSource(text: string): ComposeSource {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const composer = new Composer({ keepSourceTokens: true, merge: true, uniqueKeys: true, stringKeys: true, resolveKnownTags: false });
  const docs = [...composer.compose(tokens, true, text.length)];
  const problems: { offset: number; message: string }[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) problems.push({ offset: e.pos[0], message: `invalid YAML: ${e.message}` });
    for (const w of doc.warnings) problems.push({ offset: w.pos[0], message: `unsupported YAML: ${w.message}` });
  }
  if (docs.length > 1) {
    const second = docs[1]?.range[0] ?? 0;
    problems.push({ offset: second, message: "a compose file holds exactly one YAML document; remove the `---` separator or split the file" });
  }
  return { text, tokens, doc: docs[0], lineCounter, problems };
}
