import type { DocPath } from "../format-path.js";

/** Where a value was written: a file of the repository and the path inside that file. */
export interface Origin {
  file: string;
  path: DocPath;
}

/**
 * Remembers, for a stack's merged document, where each part was written, so that a problem found
 * after override files, `extends` and `include` were merged still points at the file, line and
 * column of the text that caused it. Every mapping and list gets its own origin when it is made;
 * a value put into a new container by a merge keeps its origin as that container's child. Anything
 * not recorded is found below its nearest recorded parent, at the same keys.
 */
export class Origins {
  private readonly own = new WeakMap<object, Origin>();
  private readonly children = new WeakMap<object, Map<string | number, Origin>>();

  /** Records where a mapping or list was written. */
  set(container: object, origin: Origin): void {
    this.own.set(container, origin);
  }

  /** Records where `container[key]` was written, when it was not written inside the container's own text. */
  setChild(container: object, key: string | number, origin: Origin): void {
    let map = this.children.get(container);
    if (!map) this.children.set(container, (map = new Map<string | number, Origin>()));
    map.set(key, origin);
  }

  /** `to`, a copy of mapping `from` (some keys changed or dropped), is located where `from` was, key by key. */
  copy(from: Record<string, unknown>, to: Record<string, unknown>): void {
    const origin = this.own.get(from);
    if (origin) this.own.set(to, origin);
    for (const key of Object.keys(to)) {
      if (!Object.hasOwn(from, key)) continue;
      const at = this.childOf(from, key);
      if (at) this.setChild(to, key, at);
    }
  }

  of(container: object): Origin | undefined {
    return this.own.get(container);
  }

  /** Where `container[key]` was written. */
  childOf(container: object, key: string | number): Origin | undefined {
    const value = (container as Record<string | number, unknown>)[key];
    if (typeof value === "object" && value !== null) {
      const own = this.own.get(value);
      if (own) return own;
    }
    const explicit = this.children.get(container)?.get(key);
    if (explicit) return explicit;
    const parent = this.own.get(container);
    return parent && { file: parent.file, path: [...parent.path, key] };
  }

  /** Where the value at `path` of the document `root` was written; past the data, below the deepest part found. */
  at(root: unknown, path: DocPath): Origin | undefined {
    let node = root;
    let origin = typeof root === "object" && root !== null ? this.own.get(root) : undefined;
    for (const [i, key] of path.entries()) {
      if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) {
        return origin && { file: origin.file, path: [...origin.path, ...path.slice(i)] };
      }
      origin = this.childOf(node, key) ?? (origin && { file: origin.file, path: [...origin.path, key] });
      node = (node as Record<string | number, unknown>)[key];
    }
    return origin;
  }
}

/** Every leaf (string, number, boolean, null) of `root` with its path, depth first. */
export function* leaves(root: unknown, path: DocPath = []): Generator<[DocPath, unknown]> {
  if (typeof root !== "object" || root === null) {
    yield [path, root];
    return;
  }
  const entries: [string | number, unknown][] = Array.isArray(root) ? root.map((v, i) => [i, v]) : Object.entries(root);
  for (const [key, value] of entries) yield* leaves(value, [...path, key]);
}
