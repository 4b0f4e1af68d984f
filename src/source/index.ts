export { parseRepoLocation, type RepoLocation } from "./repo-location.js";
export { loadGitCredentials, type GitAuthSettings, type GitCredentials } from "./git-credentials.js";
export { fetchTargetCommit, remoteGitdir, type SourceTarget, type FetchOptions } from "./fetch-commit.js";
export { readManifestFiles } from "./read-manifest-files.js";
