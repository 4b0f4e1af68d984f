import type { DocPath } from "../format-path.js";
import type { PlacedSubstitution } from "./substitutions.js";

/**
 * Values from the host's variables file are secrets: a problem message that would echo a value
 * built from one (`"2222:80" is not an allowed port`) shows what was written instead
 * (`"${HOST_PORT}:80"`) and names the variable and the file, never the value. As a last net, any
 * host value still found in a message is replaced by its variable's name; values of one character
 * are left alone (they would blank out every digit of a message and hide nothing).
 */
export class HostValueMask {
  private readonly net: [string, string][];

  constructor(
    private readonly placed: readonly PlacedSubstitution[],
    hostValues: ReadonlyMap<string, string>,
    private readonly hostFile: string,
  ) {
    this.net = [...hostValues].filter(([, v]) => v.length >= 2).sort((a, b) => b[1].length - a[1].length);
  }

  /** A problem at a value that could not be resolved is a follow-on of the note or error already given. */
  suppresses(path: DocPath): boolean {
    return this.overlapping(path).some((p) => p.substitution.unresolved);
  }

  /** The message for a problem at `path`, with host values replaced by what was written. */
  mask(path: DocPath, message: string): string {
    const built = this.overlapping(path).filter((p) => p.substitution.hostVariables.length > 0);
    let text = message;
    for (const p of [...built].sort((a, b) => b.value.length - a.value.length)) text = maskValue(text, p);
    text = this.maskAnywhere(text);
    if (built.length === 0) return text;
    const names = [...new Set(built.flatMap((p) => p.substitution.hostVariables))].sort();
    const which = names.length === 1 ? `host variable ${names[0]}` : `host variables ${names.join(", ")}`;
    return `${text} (the value comes from ${which} in ${this.hostFile} and is not shown)`;
  }

  /** Any host value left in `message`, replaced by `${NAME}`. */
  maskAnywhere(message: string): string {
    let text = message;
    for (const [name, value] of this.net) text = text.split(value).join(`\${${name}}`);
    return text;
  }

  private overlapping(path: DocPath): PlacedSubstitution[] {
    return this.placed.filter((p) => isPrefix(p.path, path) || isPrefix(path, p.path));
  }
}

/** The whole value, or a quoted piece of it (messages shorten long values with "…"), becomes the written text. */
function maskValue(message: string, p: PlacedSubstitution): string {
  const written = p.substitution.written;
  let text = message.split(`"${p.value}"`).join(JSON.stringify(written)).split(JSON.stringify(p.value)).join(JSON.stringify(written));
  text = text.split(`the number ${p.value}`).join(`the value of ${JSON.stringify(written)}`);
  if (p.value.length >= 2) text = text.split(p.value).join(written);
  text = text.replace(/"([^"]*?)…"/g, (quoted, inner: string) => (inner !== "" && p.value.startsWith(inner) ? JSON.stringify(written) : quoted));
  return text;
}

function isPrefix(prefix: DocPath, path: DocPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
