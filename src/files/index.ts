/**
 * The store of files from the repository on the host: the content-addressed, read-only copies that
 * stacks mount by relative paths, written before the first change (materialize.ts) and cleaned
 * after a healthy rollout, keeping what the good history mounts (clean-up-store.ts). What to store
 * and where each object lives are the manifest stage's (src/manifest/files/: the commit's files
 * resolved in its tree, the store's layout), pure, so that validation sees the same paths.
 */
export { cleanUpStore, cleanUpStoreAfterRollout, FILES_LEDGER } from "./clean-up-store.js";
export { materializeStore } from "./materialize.js";
