import { imageLocation } from "../policy/image-registry.js";

/**
 * An image reference as Docker reads it: `[host[:port]/]path[:tag][@digest]`, taken apart so that
 * `gitdock pin` can ask the registry for the tag and write the digest back next to it.
 */
export interface ImageReference {
  /** The name as written, without tag or digest (`nginx`, `ghcr.io/acme/web`): kept when rewriting. */
  name: string;
  /** Canonical registry host (`docker.io` for Docker Hub, lower case). */
  registry: string;
  /** Repository path on that registry (`library/nginx` for Docker Hub's one-component names). */
  repository: string;
  /** The tag as written; undefined when none was (Docker then pulls `latest`). */
  tag: string | undefined;
  /** `sha256:<64 hex>`, when pinned. */
  digest: string | undefined;
}

const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
/** Docker's reference grammar (distribution/reference), with the parts captured. */
const REFERENCE = new RegExp(String.raw`^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@([^@]+))?$`);
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** Docker's limit on the length of a repository name. */
const MAX_NAME_LENGTH = 255;

/** Docker pulls this tag when a reference names none. */
export const DEFAULT_TAG = "latest";

/** The parts of `text`, or why it is not a reference gitdock can pin. */
export function parseImageReference(text: string): ImageReference | { problem: string } {
  const match = REFERENCE.exec(text);
  if (!match) return { problem: `"${text}" is not a valid image reference` };
  const [, name = "", tag, digest] = match;
  if (name.length > MAX_NAME_LENGTH) return { problem: `the image name is longer than ${MAX_NAME_LENGTH} characters` };
  if (digest !== undefined && !SHA256_DIGEST.test(digest)) {
    return { problem: `the digest "${digest}" is not sha256: followed by 64 lowercase hex digits` };
  }
  const { registry, path } = imageLocation(name);
  return { name, registry, repository: path, tag, digest };
}

/** `name:tag@digest`, the form `gitdock pin` writes. */
export function pinnedReference(ref: ImageReference, digest: string): string {
  return `${ref.name}:${ref.tag ?? DEFAULT_TAG}@${digest}`;
}
