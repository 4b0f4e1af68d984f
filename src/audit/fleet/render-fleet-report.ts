import type { ServiceChange } from "../history/manifest-diff.js";
import type { SignatureStatus } from "../history/signature-status.js";
import type { FleetReport, ReportCommit } from "./build-fleet-report.js";
import { escapeHtml as e } from "./escape-html.js";
import type { FleetHostStatus, HostLine, HostWaveState } from "./fleet-status-types.js";
import { REPORT_CSS } from "./report-style.js";

/**
 * The fleet report as one self-contained HTML page: inline CSS, no script, nothing fetched (the
 * Content-Security-Policy says so to the browser too). Hosts × commits as a timeline, then each
 * commit (author, signature, changes, waves, ignored lines) and the rollbacks with their reasons.
 * Every text from Git (subjects, names, reasons, host ids) is escaped.
 */
export function renderFleetReport(r: FleetReport): string {
  const s = r.status;
  const title = `gitdock fleet report: ${s.fleetFile} at ${short(s.head)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${e(title)}</h1>
<p class="meta">Branch <code>${e(s.branch)}</code> at <code>${e(s.head)}</code>; outcome lines from <code>${e(s.notesRef)}</code>${s.notesTip ? ` at <code>${e(s.notesTip)}</code>` : " (no notes yet)"}; generated ${e(s.generatedAt)}.</p>
<p class="meta">Only outcome lines signed by the key the fleet file lists for their host are shown and counted; others are listed as ignored under their commit.</p>
${renderHosts(s.hosts)}
${renderTimeline(r)}
${renderRollbacks(r.rollbacks)}
<h2>Commits</h2>
${r.commits.map(renderCommit).join("\n")}
</body>
</html>
`;
}

function renderHosts(hosts: FleetHostStatus[]): string {
  const rows = hosts.map((h) => {
    const runs = h.runs ? `<code class="sha">${e(short(h.runs.commit))}</code> ${e(h.runs.subject)}` : `<span class="none cell">unknown</span>`;
    const since = h.runs ? e(h.runs.since) : "";
    const latest = h.latest
      ? `<span class="cell ${e(h.latest.verb)}">${e(h.latest.verb)} <code>${e(short(h.latest.commit))}</code> ${e(h.latest.at)}<span class="reason">${e(h.latest.detail)}</span></span>`
      : "";
    return `<tr><th>${e(h.host)}</th><td>${e(h.wave ?? "-")}</td><td>${runs}</td><td>${since}</td><td>${latest}</td></tr>`;
  });
  return `<h2>Hosts</h2>
<table class="hosts"><thead><tr><th>host</th><th>wave</th><th>runs</th><th>since</th><th>left or refused a newer commit</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

/** Hosts down, commits across, oldest on the left: each cell the host's verified lines on that commit, else its wave state. */
function renderTimeline(r: FleetReport): string {
  const commits = [...r.commits].reverse();
  const head = commits
    .map(
      (c) =>
        `<th class="commit"><code class="sha">${e(short(c.status.commit))}</code> ${e(c.status.committedAt)}<span class="subject">${e(c.status.subject)}</span></th>`,
    )
    .join("");
  const rows = r.status.hosts.map((h) => `<tr><th>${e(h.host)}</th>${commits.map((c) => `<td>${renderCell(c, h.host)}</td>`).join("")}</tr>`);
  return `<h2>Timeline</h2>
<p class="legend"><span class="cell applied">applied = healthy</span> <span class="cell rolled-back">rolled-back / rejected / failed</span> <span class="cell withdrawn">withdrawn / paused</span> <span class="cell waiting">waiting / unreachable / no line</span></p>
<table class="timeline"><thead><tr><th>host</th>${head}</tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

function renderCell(c: ReportCommit, host: string): string {
  const lines = c.outcomes.get(host) ?? [];
  if (lines.length) return lines.map(renderLine).join("");
  const state = c.status.waves.flatMap((w) => w.hosts).find((x) => x.host === host);
  if (!state) return `<span class="cell none">no line</span>`;
  return `<span class="cell ${e(state.state)}">${e(state.state)}<span class="reason">${e(stateWhy(state))}</span></span>`;
}

function renderLine(l: HostLine): string {
  const reason = l.verb === "applied" ? "" : `<span class="reason">${e(l.detail)}</span>`;
  return `<span class="cell ${e(l.verb)}">${e(l.verb)} ${e(l.at)}${reason}</span>`;
}

function stateWhy(h: HostWaveState): string {
  return h.state === "unreachable" ? `since ${h.since}: ${h.why}` : h.why;
}

function renderRollbacks(lines: FleetReport["rollbacks"]): string {
  if (!lines.length) return `<h2>Rollbacks</h2>\n<p>None in these commits.</p>`;
  const rows = lines.map(
    (l) =>
      `<tr><td>${e(l.at)}</td><td><code class="sha">${e(short(l.commit))}</code></td><td>${e(l.host)}</td><td><span class="cell ${e(l.verb)}">${e(l.verb)}</span></td><td>${e(l.detail)}</td></tr>`,
  );
  return `<h2>Rollbacks</h2>
<table class="rollbacks"><thead><tr><th>at</th><th>commit</th><th>host</th><th>what</th><th>reason</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

function renderCommit(c: ReportCommit): string {
  const s = c.status;
  const held = s.held ? `<div class="held">${e(s.held.reason)}</div>` : "";
  const ignored = s.ignored.length ? `<p class="ignored">Ignored lines: ${s.ignored.map((i) => `${e(i.host)} (${e(i.reason)})`).join("; ")}</p>` : "";
  const waves = s.waves
    .map((w) => {
      const state = w.failed
        ? "failed"
        : w.done
          ? `done ${w.done}`
          : w.opened
            ? `open since ${w.opened}${w.waitingFor ? `; ${w.waitingFor}` : ""}`
            : "not open";
      return `<li>wave <b>${e(w.name)}</b>: ${e(state)}</li>`;
    })
    .join("");
  return `<section class="commit" id="c-${e(s.commit)}">
<h3><code class="sha">${e(short(s.commit))}</code> ${e(s.subject)}</h3>
<table><tbody>
<tr><th>commit</th><td><code>${e(s.commit)}</code>, committed ${e(s.committedAt)}</td></tr>
<tr><th>author</th><td>${e(`${c.author.name} <${c.author.email}>`)} ${e(c.author.date)}</td></tr>
${sameAs(c) ? "" : `<tr><th>committer</th><td>${e(`${c.committer.name} <${c.committer.email}>`)} ${e(c.committer.date)}</td></tr>\n`}<tr><th>signature</th><td>${e(signatureText(c.signature))}</td></tr>
<tr><th>changed</th><td>${renderChanges(c)}</td></tr>
<tr><th>waves</th><td><ul>${waves}</ul></td></tr>
</tbody></table>
${held}${ignored}
</section>`;
}

function sameAs(c: ReportCommit): boolean {
  return c.author.name === c.committer.name && c.author.email === c.committer.email;
}

function signatureText(sig: SignatureStatus): string {
  return `${sig.status}${sig.format ? ` (${sig.format})` : ""}${sig.detail ? `: ${sig.detail}` : ""}`;
}

function renderChanges(c: ReportCommit): string {
  if (c.invalid !== null) return `the manifest is invalid: ${e(c.invalid)}`;
  if (c.changes === null) return "unknown: its parent is beyond the history fetched (--depth)";
  if (!c.changes.length) return "nothing in the stacks";
  return `<ul>${c.changes.map((ch) => `<li>${e(changeText(ch))}</li>`).join("")}</ul>`;
}

function changeText(ch: ServiceChange): string {
  const name = ch.service ? `${ch.stack}/${ch.service}` : `${ch.stack} (stack)`;
  if (ch.change === "added") return `${name} added, image ${ch.image?.to ?? "?"}`;
  if (ch.change === "removed") return `${name} removed (was ${ch.image?.from ?? "?"})`;
  const image = ch.image ? `image ${ch.image.from ?? "?"} → ${ch.image.to ?? "?"}` : "";
  const rest = ch.aspects.filter((a) => a !== "image").join(", ");
  return [name, image, rest].filter(Boolean).join("; ");
}

const short = (sha: string): string => sha.slice(0, 12);
