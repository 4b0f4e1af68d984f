import { join } from "node:path";
import type { VerifyResult } from "../../state/index.js";

/** `gitdock history --verify` as text: the verdict, the first problem, then every problem. */
export function formatVerify(r: VerifyResult, stateDir: string): string {
  const file = join(stateDir, "journal.jsonl");
  if (r.ok) return `journal ${file}: ${r.lines} line(s), hash chain intact`;
  const lines = [
    `journal ${file}: ${r.lines} line(s), BROKEN`,
    `first problem: line ${r.firstProblem!.line} (${r.firstProblem!.kind}): ${r.firstProblem!.message}`,
  ];
  if (r.problems.length > 1) {
    lines.push(`all ${r.problems.length} problems:`);
    for (const p of r.problems) lines.push(`  line ${String(p.line).padEnd(6)} ${p.kind.padEnd(10)} ${p.message}`);
  }
  return lines.join("\n");
}
