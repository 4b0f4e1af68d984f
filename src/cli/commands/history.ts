import { buildHistory, formatHistory, formatVerify, openHistorySource, parseSince, signatureChecker } from "../../audit/history/index.js";
import { requireRepo, type Settings } from "../../config/settings.js";
import { ConfigInvalidError } from "../../errors.js";
import { loadGitCredentials } from "../../source/index.js";
import { acquireLock, Journal, verifyJournal, type JournalEntry } from "../../state/index.js";
import { EXIT } from "../exit-codes.js";

export interface HistoryFlags {
  since?: string;
  stack?: string;
  service?: string;
  json?: boolean;
  verify?: boolean;
  fetch?: boolean;
  depth?: string;
}

/**
 * `gitdock history`: the commits that touched this host's path with this host's outcomes, from
 * the local clone and the state directory (offline unless --fetch). `--verify` checks the journal.
 */
export async function historyCommand(settings: Settings, flags: HistoryFlags): Promise<number> {
  if (flags.verify) return verifyCommand(settings, flags.json === true);
  const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
  const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
  const repo = requireRepo(settings);
  const source = flags.fetch
    ? await deepenThenOpen(settings, repo, depth, since)
    : await openHistorySource(repo, settings.branch, settings.stateDir, { depth, since });
  const journal = await readJournal(settings.stateDir);
  const signature = await signatureChecker(settings.security.verify, source.gitdir);
  const report = await buildHistory({
    gitdir: source.gitdir,
    head: source.head,
    path: settings.path,
    branch: settings.branch,
    host: settings.hostId,
    journal,
    since,
    stack: flags.stack,
    service: flags.service,
    signature,
  });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatHistory(report)}\n`);
  return EXIT.ok;
}

/** Deepening writes the agent's clone: take the reconcile lock so no poll fetches into it meanwhile. */
async function deepenThenOpen(settings: Settings, repo: string, depth: number | undefined, since: Date | undefined) {
  const credentials = await loadGitCredentials(settings.git);
  const release = await acquireLock(settings.stateDir, { wait: true, timeoutMs: 120_000 });
  try {
    return await openHistorySource(repo, settings.branch, settings.stateDir, { fetch: true, depth, since, credentials });
  } finally {
    await release();
  }
}

async function verifyCommand(settings: Settings, json: boolean): Promise<number> {
  const result = await verifyJournal(settings.stateDir);
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatVerify(result, settings.stateDir)}\n`);
  return result.ok ? EXIT.ok : EXIT.error;
}

async function readJournal(stateDir: string): Promise<JournalEntry[]> {
  const journal = await Journal.open(stateDir);
  const entries: JournalEntry[] = [];
  for await (const e of journal.entries()) entries.push(e);
  return entries;
}

function parseDepth(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigInvalidError(`--depth ${text}: expected a positive whole number of commits`);
  return n;
}
