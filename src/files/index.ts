/**
 * Files from the repository: relative paths of a stack resolved in the commit's tree
 * (commit-files.ts, pure, used by the manifest stage), the content-addressed read-only store they
 * are mounted from (store-layout.ts), made before the first change (materialize.ts) and cleaned
 * after a healthy rollout (clean-up-store.ts), and data directories for paths the tree does not hold.
 */
export { CommitFiles, DEFAULT_DATA_ROOT, DEFAULT_REPO_FILE_SETTINGS, type RepoFileSettings } from "./commit-files.js";
export { cleanUpStore, cleanUpStoreAfterRollout, FILES_LEDGER } from "./clean-up-store.js";
export { materializeStore } from "./materialize.js";
export { MAX_STORED_BYTES_PER_COMMIT, MAX_STORED_FILE_BYTES, storeDirOf } from "./store-layout.js";
