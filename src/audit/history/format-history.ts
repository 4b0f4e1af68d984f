import { reasonSummary } from "../note-line.js";
import type { HistoryEvent } from "./host-outcomes.js";
import type { ServiceChange } from "./manifest-diff.js";
import type { HistoryCommit, HistoryReport } from "./build-history.js";

/** `gitdock history` as text: one block per commit, newest first. */
export function formatHistory(r: HistoryReport): string {
  const lines = [`host ${r.host} · path ${r.path || "/"} · ${r.branch} at ${short(r.head)} · ${r.commits.length} commit(s)`];
  for (const c of r.commits) lines.push("", ...formatCommit(c, r.host));
  if (!r.complete) lines.push("", ...formatGaps(r));
  return lines.join("\n");
}

/** Where the shallow clone left the history short, and what deepens it. */
function formatGaps(r: HistoryReport): string[] {
  const absent = r.commits.filter((c) => c.needsFetch?.includes("subject")).length;
  const gaps = [
    r.boundary.length ? `the parents of ${r.boundary.map(short).join(", ")} (commits there are listed only when this host journaled them)` : "",
    absent ? `${absent} commit(s) this host journaled (listed from its journal)` : "",
  ].filter(Boolean);
  return [
    `history is partial: the local clone is shallow and lacks ${gaps.join(", and ") || "commits"}.`,
    "  Run `gitdock history --fetch [--depth N]` to deepen it, or read a full clone with --repo PATH.",
  ];
}

function formatCommit(c: HistoryCommit, host: string): string[] {
  return [...formatHeader(c), ...formatChanges(c), ...formatOutcome(c, host)];
}

function formatHeader(c: HistoryCommit): string[] {
  const { author, committer, signature: sig } = c;
  const when = committer ? `${committer.date}  ` : "";
  const out = [`${short(c.commit)}  ${when}${c.subject ?? "(not in the local clone)"}`];
  if (author) out.push(`  author     ${author.name} <${author.email}>  ${author.date}`);
  if (committer && author && (committer.name !== author.name || committer.email !== author.email || committer.date !== author.date)) {
    out.push(`  committer  ${committer.name} <${committer.email}>  ${committer.date}`);
  }
  if (sig) out.push(`  signature  ${sig.status}${sig.format ? ` (${sig.format})` : ""}${sig.detail ? `: ${sig.detail}` : ""}`);
  if (c.invalid) out.push(`  invalid    ${c.invalid}`);
  if (c.needsFetch?.length) out.push(`  missing    ${c.needsFetch.join(", ")}: not in the local clone; run \`gitdock history --fetch\``);
  return out;
}

function formatChanges(c: HistoryCommit): string[] {
  const base = c.baseline ? ` (since ${short(c.baseline)})` : "";
  if (c.changes.length) return c.changes.map((ch, i) => `  ${i === 0 ? `changed${base}`.padEnd(10) : "          "} ${formatChange(ch)}`);
  if (c.invalid || c.needsFetch?.includes("changes")) return [];
  return [`  changed    nothing in the stacks${base}`];
}

function formatChange(ch: ServiceChange): string {
  const name = ch.service ? `${ch.stack}/${ch.service}` : `${ch.stack} (stack)`;
  if (ch.change === "added") return `${name} added, image ${ch.image?.to ?? "?"}`;
  if (ch.change === "removed") return `${name} removed (was ${ch.image?.from ?? "?"})`;
  const parts = ch.aspects.filter((a) => a !== "image");
  const image = ch.image ? `image ${digestOf(ch.image.from)} → ${ch.image.to ?? "?"}` : "";
  return [name, image, parts.length ? (image ? `; ${parts.join(", ")}` : parts.join(", ")) : ""].filter(Boolean).join(" ").replace(" ;", ";");
}

function formatOutcome(c: HistoryCommit, host: string): string[] {
  const label = `  ${host.padEnd(9)}`;
  const pad = " ".repeat(label.length);
  const lines: string[] = [];
  if (c.appliedAt && c.events[0]?.kind !== "rejected") lines.push(`applied ${c.appliedAt}`);
  for (const e of c.events) lines.push(e.kind === "rejected" && c.invalid ? `rejected ${e.at}: the manifest is invalid (above)` : formatEvent(e));
  if (c.until) lines.push(`ran until ${c.until} (replaced by ${short(c.replacedBy ?? "")})`);
  if (c.repairs) lines.push(`${c.repairs} drift repair(s) while it ran`);
  if (!c.events.length) {
    const why: Record<string, string> = {
      superseded: "superseded: the branch moved past it before this host applied it",
      "before-host": "not applied: older than this host's first sync",
      pending: c.appliedAt ? "no outcome recorded yet (in progress, or cut short)" : "not applied yet",
    };
    lines.push(why[c.status] ?? c.status);
  }
  return lines.map((l, i) => `${i === 0 ? label : pad} ${l}`);
}

function formatEvent(e: HistoryEvent): string {
  if (e.kind === "healthy") return `healthy ${e.at}`;
  const took = e.durationMs !== undefined ? `, rollback took ${formatMs(e.durationMs)}` : "";
  const verb = e.kind === "rolled-back" ? "rolled back" : e.kind;
  return `${verb} ${e.at}${took}: ${reasonSummary(e.reason ?? "", 400)}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function digestOf(ref: string | undefined): string {
  if (!ref) return "(none)";
  const at = ref.indexOf("@");
  return at >= 0 ? ref.slice(at + 1, at + 1 + 19) + "…" : ref;
}

const short = (sha: string): string => sha.slice(0, 12);
