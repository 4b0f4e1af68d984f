/** The state stage: what gitdock remembers about this host between runs. */
export { fsyncDir, readJsonFile, readStateFile, removeStaleTempFiles, writeFileAtomic, writeFileExclusive } from "./atomic-file.js";
export { ensureStateDir, STATE_FILES } from "./state-dir.js";
export {
  allowRewindTo,
  beginRollout,
  clearFailure,
  clearHalted,
  defaultHostState,
  endRollout,
  GOOD_HISTORY_LIMIT,
  MARKS_LIMIT,
  isBlocked,
  markApplied,
  markFailed,
  markWithdrawn,
  markGood,
  markHalted,
  markRejected,
  parseHostState,
  StateStore,
  type CommitMark,
  type HostState,
  type RolloutMarker,
} from "./host-state.js";
export { GENESIS, Journal, verifyJournal, type JournalEntry, type JournalInput, type VerifyProblem, type VerifyResult } from "./journal.js";
export { HOST_KEY_BYTES, loadHostKey } from "./host-key.js";
export { acquireLock, readLockHolder, type LockHolder, type LockOptions, type Release } from "./lock.js";
export { isProcessAlive, processStartTime } from "./process-alive.js";
export { measureStateDir, type StateDirUsage } from "./state-dir-usage.js";
