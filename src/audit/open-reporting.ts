import { readFile } from "node:fs/promises";
import type { Settings } from "../config/settings.js";
import { ConfigInvalidError } from "../errors.js";
import { loadOutcomeKey } from "../fleet/outcome-key.js";
import { signOutcomeLine } from "../fleet/outcome-signature.js";
import type { Logger } from "../log.js";
import { openNotifier, type DeliveryTuning, type Notifier } from "../notify/index.js";
import type { CommitOutcome, OutcomeNote } from "../reconcile/context.js";
import { outcomeLineOf } from "./note-line.js";
import { fetchTargetCommit, parseRepoLocation, type GitCredentials } from "../source/index.js";
import { buildMarker } from "./marker.js";
import { MarkerSender } from "./marker-sender.js";
import { NotesOutbox } from "./notes-outbox.js";
import { NotesReporter } from "./notes-reporter.js";
import { HttpNotesTarget } from "./notes-target-http.js";
import { LocalNotesTarget } from "./notes-target-local.js";
import type { NotesTarget } from "./notes-target.js";

/** What the reconcile context gets from the audit stage. */
export interface AuditReporting {
  /** Outcome listeners (see reconcile/outcome.ts): git notes, deployment markers, notifications. */
  listeners: ((o: CommitOutcome) => Promise<void>)[];
  /** Run at the start of every reconcile pass: publish note lines left over from earlier passes. Never throws. */
  beforePass: () => Promise<void>;
  /** The marker sender, when markers are configured (tests and shutdown can wait on `idle()`). */
  markers: MarkerSender | undefined;
  /**
   * Notifications (report.notifications; with none configured it sends nothing): outcomes go to it
   * through the listeners; the fleet code sends its events with `send`, and shutdown awaits `idle()`.
   */
  notifier: Notifier;
  /** Every host's outcome lines on a commit, from the git notes (only when notes reporting is on). */
  outcomesOf: ((commit: string) => Promise<OutcomeNote[]>) | undefined;
}

/**
 * Opens what `settings.report` asks for. A bad configuration (an unreadable secret file) fails
 * here, at startup; failures to report later never reach the reconcile.
 */
export async function openAuditReporting(
  settings: Settings,
  log: Logger,
  credentials: GitCredentials | undefined,
  tuning?: DeliveryTuning,
): Promise<AuditReporting> {
  const listeners: AuditReporting["listeners"] = [];
  let beforePass = async (): Promise<void> => undefined;
  let outcomesOf: AuditReporting["outcomesOf"];

  if (settings.report.gitNotes) {
    const target = await notesTarget(settings, credentials);
    const key = await loadOutcomeKey({ stateDir: settings.stateDir, hostId: settings.hostId, file: settings.report.outcomeKeyFile });
    const sign = (commit: string, line: string) => signOutcomeLine(key, commit, line);
    const reporter = new NotesReporter(target, await NotesOutbox.open(settings.stateDir), log, sign);
    listeners.push((o) => reporter.record(o));
    beforePass = () => reporter.drain();
    outcomesOf = async (commit) => (await target.linesFor(commit)).map(outcomeLineOf).filter((l) => l !== undefined);
  }

  let markers: MarkerSender | undefined;
  const notify = settings.report.notify;
  if (notify) {
    const sender = new MarkerSender({ url: notify.url, secret: await readSecret(notify.secretFile), maxAttempts: notify.maxAttempts, log });
    markers = sender;
    const source = { repo: settings.repo, branch: settings.branch, path: settings.path };
    listeners.push(async (o) => void sender.enqueue(JSON.stringify(buildMarker(o, source)), o.commit));
  }

  const reportedBy = { hostId: settings.hostId, repo: settings.repo, branch: settings.branch, path: settings.path };
  const notifier = await openNotifier(settings.report.notifications, reportedBy, log, tuning);
  if (notifier.size > 0) listeners.push(async (outcome) => notifier.send({ kind: "outcome", outcome }));
  return { listeners, beforePass, markers, notifier, outcomesOf };
}

async function notesTarget(settings: Settings, credentials: GitCredentials | undefined): Promise<NotesTarget> {
  const location = parseRepoLocation(settings.repo ?? "");
  const ref = settings.report.notesRef;
  if (location.kind === "http") {
    return new HttpNotesTarget({ url: location.url, ref, stateDir: settings.stateDir, hostId: settings.hostId, credentials });
  }
  const { gitdir } = await fetchTargetCommit({ location, branch: settings.branch, stateDir: settings.stateDir, credentials });
  return new LocalNotesTarget({ gitdir, ref, hostId: settings.hostId });
}

async function readSecret(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read report.notify.secret_file ${path}: ${(err as Error).message}`, {
      hint: "Check the path and that gitdock's user may read it (mode 0600).",
    });
  }
  const secret = text.split(/\r?\n/)[0]?.trim() ?? "";
  if (!secret) throw new ConfigInvalidError(`report.notify.secret_file ${path} is empty`);
  return Buffer.from(secret, "utf8");
}
