import { HistoryRewoundError, ImageSignatureRejectedError, ManifestInvalidError, PolicyViolationError, SignatureRejectedError } from "../errors.js";

/** What can reject a commit before anything is planned (accept-commit.ts). */
export type Rejection = ManifestInvalidError | PolicyViolationError | SignatureRejectedError | HistoryRewoundError | ImageSignatureRejectedError;

/** Per kind of rejection: the log's stage, the check's name, what the log line says, the one-line prefix. */
export const REJECTED_BY: Record<Rejection["code"], { stage: string; check: string; what: string; prefix: string }> = {
  GITDOCK_E_MANIFEST_INVALID: { stage: "manifest", check: "manifest", what: "invalid manifest", prefix: "invalid" },
  GITDOCK_E_POLICY_VIOLATION: { stage: "policy", check: "policy", what: "it breaks the host policy", prefix: "policy" },
  GITDOCK_E_SIGNATURE_REJECTED: { stage: "verify", check: "signature", what: "its signature is not acceptable", prefix: "signature" },
  GITDOCK_E_HISTORY_REWOUND: { stage: "history", check: "history", what: "it does not descend from the last good commit", prefix: "history" },
  GITDOCK_E_IMAGE_SIGNATURE_REJECTED: {
    stage: "image-signature",
    check: "image signature",
    what: "an image is not signed as the host policy requires",
    prefix: "image signature",
  },
};

export function isRejection(err: unknown): err is Rejection {
  return (
    err instanceof ManifestInvalidError ||
    err instanceof PolicyViolationError ||
    err instanceof SignatureRejectedError ||
    err instanceof HistoryRewoundError ||
    err instanceof ImageSignatureRejectedError
  );
}

/** The first problem, for one-line outcomes (notes, markers); the journal keeps them all. */
export function firstLine(err: Rejection): string {
  if (err instanceof SignatureRejectedError || err instanceof HistoryRewoundError) return err.message;
  const { prefix } = REJECTED_BY[err.code];
  const first = err.problems[0];
  const more = err.problems.length > 1 ? ` (+${err.problems.length - 1} more)` : "";
  return first ? `${prefix}: ${first.file}:${first.line}:${first.col}: ${first.path ? `${first.path}: ` : ""}${first.message}${more}` : prefix;
}
