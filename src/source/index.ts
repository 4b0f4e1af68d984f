export { parseRepoLocation, type RepoLocation } from "./repo-location.js";
export { loadGitCredentials, type GitAuthSettings, type GitCredentials } from "./git-credentials.js";
export { fetchTargetCommit, remoteGitdir, type SourceTarget, type FetchOptions } from "./fetch-commit.js";
export { readCommitTree } from "./read-commit-tree.js";
export { readDirectoryTree } from "./read-directory-tree.js";
