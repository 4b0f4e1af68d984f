import { isScalar, type Document } from "yaml";
import type { DocPath } from "../format-path.js";
import { nodeAt } from "./locate-node.js";

/** The source text of the plain (unquoted) scalar at `path`, or undefined. */
export type WrittenScalar = (path: DocPath) => string | undefined;

/**
 * YAML 1.2 reads `0440` as the decimal 440, while Compose (go-yaml) reads it as octal, which is
 * how every Compose file writes a file mode. The text as written settles which one was meant.
 */
export function writtenScalarOf(doc: Document): WrittenScalar {
  return (path) => {
    const node = nodeAt(doc, path);
    return isScalar(node) && node.type === "PLAIN" ? node.source : undefined;
  };
}
