import { oneLine } from "../note-line.js";
import type { FleetCommitStatus, FleetHostStatus, FleetStatus, FleetWaveStatus, HostWaveState } from "./fleet-status-types.js";

/** `gitdock fleet status` as text: the hosts, then each recent commit's waves, newest first. */
export function formatFleetStatus(s: FleetStatus): string {
  const notes = s.notesTip ? `${s.notesRef} at ${short(s.notesTip)}` : `${s.notesRef}: no notes yet`;
  const lines = [`fleet ${s.fleetFile} · ${s.branch} at ${short(s.head)} · ${notes} · ${s.hosts.length} host(s) in ${s.waves.length} wave(s)`, ""];
  lines.push(...formatHosts(s));
  for (const c of s.commits) lines.push("", ...formatCommit(c));
  return lines.join("\n");
}

function formatHosts(s: FleetStatus): string[] {
  const width = Math.max(4, ...s.hosts.map((h) => h.host.length));
  const waveWidth = Math.max(4, ...s.hosts.map((h) => (h.wave ?? "-").length));
  const head = `${"HOST".padEnd(width)}  ${"WAVE".padEnd(waveWidth)}  RUNS`;
  return [head, ...s.hosts.map((h) => `${h.host.padEnd(width)}  ${(h.wave ?? "-").padEnd(waveWidth)}  ${formatRuns(h, s)}`)];
}

function formatRuns(h: FleetHostStatus, s: FleetStatus): string {
  const runs = h.runs
    ? `${short(h.runs.commit)} since ${h.runs.since}  ${oneLine(h.runs.subject, 120)}`
    : `unknown: no verified applied line in the ${s.commitsRead} commit(s) read`;
  if (!h.latest) return runs;
  const l = h.latest;
  const verb = l.verb === "rolled-back" ? "rolled back" : l.verb;
  return `${runs}\n${" ".repeat(6)}(${verb} ${short(l.commit)} at ${l.at}: ${l.detail})`;
}

function formatCommit(c: FleetCommitStatus): string[] {
  // A subject is untrusted text: control characters (terminal escapes) become spaces.
  const out = [`${short(c.commit)}  ${c.committedAt}  ${oneLine(c.subject, 200)}`];
  if (c.held) out.push(`  HELD ${c.held.reason}`);
  const width = Math.max(4, ...c.waves.flatMap((w) => w.hosts.map((h) => h.host.length)));
  for (const w of c.waves) out.push(`  wave ${w.name}: ${waveSummary(w)}`, ...w.hosts.map((h) => `    ${h.host.padEnd(width)}  ${hostSummary(h)}`));
  for (const i of c.ignored) out.push(`  ignored a line of ${i.host}: ${i.reason}`);
  return out;
}

function waveSummary(w: FleetWaveStatus): string {
  if (w.failed) return `failed (opened ${w.opened})`;
  if (w.opened === null) return "not open";
  if (w.done !== null) return `done ${w.done} (opened ${w.opened})`;
  // The wave rule's reasons start with the wave's name, which this line already gives.
  return `open since ${w.opened}; ${w.waitingFor?.replace(`wave ${w.name}: `, "") ?? "in progress"}`;
}

function hostSummary(h: HostWaveState): string {
  switch (h.state) {
    case "healthy":
      return `healthy ${h.at} (${h.why.replace(/^reported healthy; /, "")})`;
    case "failed":
    case "withdrawn":
      return `${h.state} ${h.at}: ${h.why}`;
    case "unreachable":
      return `unreachable since ${h.since}: ${h.why}`;
    case "waiting":
      return `waiting: ${h.why}`;
  }
}

const short = (sha: string): string => sha.slice(0, 12);
