/**
 * The journal of a test host's state directory, read as the tests read it: every line one entry,
 * oldest first. A line that is not JSON fails the test where it is read.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

export interface JournalLine {
  seq: number;
  commit: string;
  stack?: string;
  service?: string;
  container?: string;
  action: string;
  outcome: string;
  reason?: string;
  durationMs?: number;
  data?: Record<string, any>;
}

export async function readJournal(stateDir: string): Promise<JournalLine[]> {
  const text = await readFile(path.join(stateDir, "journal.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}
