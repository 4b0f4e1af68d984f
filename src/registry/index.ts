/**
 * A small client for the read side of the OCI distribution API that `gitdock pin` needs: the
 * digest a registry serves for a tag, with Docker's authentication (config.json credentials, the
 * Bearer token flow, Basic). No maintained npm package does just this.
 */
export { DEFAULT_TAG, parseImageReference, pinnedReference, type ImageReference } from "./image-reference.js";
export { isLoopbackHost, registryBaseUrl } from "./registry-endpoint.js";
export { RegistrySession, type RegistryCredentials, type RegistryTransport } from "./registry-session.js";
export { digestFromHead, digestFromManifest, MANIFEST_MEDIA_TYPES, resolveTagDigest, type TagDigest, type TagTarget } from "./resolve-tag-digest.js";
export { parseAuthChallenge, type AuthChallenge } from "./www-authenticate.js";
