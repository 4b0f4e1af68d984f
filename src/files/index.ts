/**
 * Files from the repository: relative paths of a stack resolved in the commit's tree, each from
 * the directory of the file that wrote it (commit-files.ts and repo-path.ts, pure, used by the
 * manifest stage; mounted-objects.ts keeps what deployed services mount), the content-addressed
 * read-only store they are mounted from (store-layout.ts), made before the first change
 * (materialize.ts) and cleaned after a healthy rollout (clean-up-store.ts), and data directories
 * for paths the tree does not hold.
 */
export { CommitFiles, DEFAULT_DATA_ROOT, DEFAULT_REPO_FILE_SETTINGS, type RepoFileSettings } from "./commit-files.js";
export { cleanUpStore, cleanUpStoreAfterRollout, FILES_LEDGER } from "./clean-up-store.js";
export { materializeStore } from "./materialize.js";
export { objectsMountedBy } from "./mounted-objects.js";
export { MAX_STORED_BYTES_PER_COMMIT, MAX_STORED_FILE_BYTES, storeDirOf } from "./store-layout.js";
