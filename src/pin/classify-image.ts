import { parseImageReference, type ImageReference } from "../registry/index.js";

/** What `gitdock pin` makes of one `image:` value. */
export type ImageFinding =
  /** A tag (or none, meaning `latest`) and no digest: pin it. */
  | { kind: "unpinned"; ref: ImageReference }
  /** `name:tag@sha256:…`: left alone, or moved to the tag's current digest with `--update`. */
  | { kind: "pinned"; ref: ImageReference & { tag: string } }
  /** `name@sha256:…`: pinned, but with no tag there is nothing to follow for `--update`. */
  | { kind: "digest-only"; ref: ImageReference }
  /** `${VAR}` in the value: its real value is only known where the variable is set. */
  | { kind: "interpolated" }
  | { kind: "invalid"; problem: string };

export function classifyImage(value: string): ImageFinding {
  if (value.includes("$")) return { kind: "interpolated" };
  const ref = parseImageReference(value);
  if ("problem" in ref) return { kind: "invalid", problem: ref.problem };
  if (ref.digest === undefined) return { kind: "unpinned", ref };
  if (ref.tag === undefined) return { kind: "digest-only", ref };
  return { kind: "pinned", ref: { ...ref, tag: ref.tag } };
}
