import type { DocPath } from "../format-path.js";
import { leaves, type Origins } from "../merge/origins.js";
import { pathKey } from "../yaml/merge-tags.js";

/** What interpolation did to one value. */
export interface Substitution {
  /** The text as written in the file (`"${HOST_PORT}:80"`). */
  written: string;
  /** Variables from the host's file whose values went into the result (secrets: never shown). */
  hostVariables: string[];
  /** True when a variable could not be resolved: the value is the written text, and problems about it are not reported. */
  unresolved: boolean;
}

/** Substitutions by file and path in that file, as interpolation records them. */
export class SubstitutionLog {
  private readonly byFile = new Map<string, Map<string, Substitution>>();

  record(file: string, path: DocPath, substitution: Substitution): void {
    let map = this.byFile.get(file);
    if (!map) this.byFile.set(file, (map = new Map<string, Substitution>()));
    map.set(pathKey(path), substitution);
  }

  at(file: string, path: DocPath): Substitution | undefined {
    return this.byFile.get(file)?.get(pathKey(path));
  }

  get empty(): boolean {
    return this.byFile.size === 0;
  }
}

/** A substitution at its path in a stack's merged document. */
export interface PlacedSubstitution {
  path: DocPath;
  substitution: Substitution;
  /** The value after substitution, as text. */
  value: string;
}

/** Every substituted value of a merged document, found through the origins of its leaves. */
export function placeSubstitutions(root: unknown, origins: Origins, log: SubstitutionLog): PlacedSubstitution[] {
  if (log.empty) return [];
  const placed: PlacedSubstitution[] = [];
  for (const [path, value] of leaves(root)) {
    const origin = origins.at(root, path);
    const substitution = origin && log.at(origin.file, origin.path);
    if (substitution) placed.push({ path, substitution, value: String(value) });
  }
  return placed;
}
