import { join } from "node:path";
import type { VerifyResult } from "../../state/index.js";

/**
 * `gitdock history --verify` as text: the verdict, the first problem, then every problem and every
 * recorded interruption. The verdict is "hash chain intact" (across recorded interruptions, if
 * any), INTERRUPTED when the only problems are lines cut short (a failed write or a crash, not an
 * edit), or BROKEN.
 */
export function formatVerify(r: VerifyResult, stateDir: string): string {
  const file = join(stateDir, "journal.jsonl");
  const gaps = (r.interruptions ?? []).map((g) => `  line ${String(g.line).padEnd(6)} ${g.message}`);
  if (r.ok) {
    if (!gaps.length) return `journal ${file}: ${r.lines} line(s), hash chain intact`;
    return [`journal ${file}: ${r.lines} line(s), hash chain intact across ${gaps.length} recorded interruption(s):`, ...gaps].join("\n");
  }
  const lines = [
    `journal ${file}: ${r.lines} line(s), ${verdict(r)}`,
    `first problem: line ${r.firstProblem!.line} (${r.firstProblem!.kind}): ${r.firstProblem!.message}`,
  ];
  if (r.problems.length > 1) {
    lines.push(`all ${r.problems.length} problems:`);
    for (const p of r.problems) lines.push(`  line ${String(p.line).padEnd(6)} ${p.kind.padEnd(10)} ${p.message}`);
  }
  if (gaps.length) lines.push(`recorded interruptions (the chain verifies across them):`, ...gaps);
  return lines.join("\n");
}

function verdict(r: VerifyResult): string {
  if (!r.problems.every((p) => p.kind === "torn")) return "BROKEN";
  const at = r.interruptedAt;
  if (!at) return "INTERRUPTED: lines were cut short by a failed write or a crash (no sign of an edit)";
  return `INTERRUPTED at line ${at.line} (seq ${at.seq}): its last write was cut short (a full disk, an I/O error or a crash), no sign of an edit`;
}
