/**
 * `gitdock pin`: every service's `image:` that is not pinned by digest becomes `name:tag@sha256:…`,
 * with the digest its registry serves for the tag, rewritten in place without touching anything
 * else in the file.
 */
export { findPinFiles, OVERRIDE_FILE_NAMES, type PinFile } from "./find-pin-files.js";
export { pinImages, type DigestLookup, type PinChange, type PinInput, type PinOptions, type PinOutcome } from "./pin-images.js";
export { registryDigestLookup } from "./registry-lookup.js";
export { writePinnedFile } from "./write-pinned-file.js";
