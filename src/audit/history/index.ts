export { buildHistory, type HistoryCommit, type HistoryReport, type CommitStatus } from "./build-history.js";
export { formatHistory } from "./format-history.js";
export { formatVerify } from "./format-verify.js";
export { hostOutcomes, type HistoryEvent } from "./host-outcomes.js";
export { diffManifests, type ServiceChange } from "./manifest-diff.js";
export { openHistorySource, DEFAULT_HISTORY_DEPTH } from "./open-history-source.js";
export { parseSince } from "./parse-since.js";
export { signatureChecker, signaturePresence, type SignatureStatus } from "./signature-status.js";
