/**
 * The audit stage: what each host did with each commit, where auditors look for it.
 *  - `gitdock history` (history/): the commits that touched the host's path, what they changed,
 *    and this host's outcomes from the journal; `--verify` checks the journal's hash chain.
 *  - Git notes (notes-*.ts): one line per outcome on the commit, under `refs/notes/gitdock`.
 *  - Deployment markers (marker*.ts): a signed HTTP POST per outcome.
 */
export { openAuditReporting, type AuditReporting } from "./open-reporting.js";
export { formatNoteLine, noteLineFor, parseNoteLine, type NoteLine } from "./note-line.js";
export { addPending, mergeLines, mergeNotes, noteLines, noteText, type Notes, type PendingNote } from "./merge-notes.js";
export { buildMarker, signBody, verifyBodySignature, SIGNATURE_HEADER, type DeploymentMarker } from "./marker.js";
