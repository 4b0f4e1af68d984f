/** A path inside a YAML document: map keys and list indexes. */
export type DocPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Renders `["services", "web", "ports", 0]` as `services.web.ports[0]`. Keys that would make the
 * dotted form ambiguous (a label such as `com.example.tier`) are quoted: `labels["com.example.tier"]`.
 */
export function formatPath(path: DocPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
