import { GitdockError } from "../errors.js";

/** The one place that maps outcomes and errors to exit codes. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** `plan --detailed-exitcode`: there are changes (Terraform's meaning). */
  changes: 2,
  /** The target commit failed its health gate; the host was rolled back (or is held at the last good commit). */
  rolledBack: 3,
  /** The target commit was rejected (invalid manifest, policy, signature, rewound history); nothing was changed for it. */
  rejected: 4,
  /**
   * Halted: the last good commit no longer passes the current policy, trust files or verification
   * mode, so nothing was changed. The same code as rejected: a commit (the last good one) is not acceptable.
   */
  halted: 4,
  /** `gitdock pin --check`: some image reference is not pinned (or, with --update, not current). */
  unpinned: 1,
  /** A sync window holds the new commit back; the host stays at its last good commit. */
  waiting: 5,
  /** A failed release was undone, but the host is not fully back at the last good commit (RollbackIncompleteError). */
  rollbackIncomplete: 6,
  /** A rollout a crash cut short could not be undone (RecoveryFailedError). */
  recoveryFailed: 7,
} as const;

/** Errors with an exit code of their own, by code (so an error the running agent reports maps the same way). */
const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  GITDOCK_E_ROLLBACK_INCOMPLETE: EXIT.rollbackIncomplete,
  GITDOCK_E_RECOVERY_FAILED: EXIT.recoveryFailed,
};

export function exitCodeForError(err: unknown): number {
  if (err instanceof GitdockError) {
    const own = EXIT_BY_CODE[err.code];
    if (own !== undefined) return own;
    if (err.handling === "reject") return EXIT.rejected;
    if (err.handling === "rollback") return EXIT.rolledBack;
  }
  return EXIT.error;
}
