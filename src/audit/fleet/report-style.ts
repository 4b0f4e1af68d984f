/** The report's one stylesheet, inline: the page loads nothing (its Content-Security-Policy forbids it). */
export const REPORT_CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --mute: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
code, .sha { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.meta { color: var(--mute); margin: 0 0 2px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.timeline th.commit { min-width: 140px; max-width: 220px; font-weight: normal; }
.timeline th.commit .subject { display: block; overflow-wrap: anywhere; }
.cell { display: block; border-radius: 4px; padding: 2px 6px; margin: 2px 0; font-size: 12.5px; }
.applied { background: #dafbe1; color: var(--ok); }
.rolled-back, .rejected, .failed { background: #ffebe9; color: var(--bad); }
.withdrawn, .paused { background: #fff8c5; color: var(--warn); }
.waiting, .unreachable, .none { background: #f6f8fa; color: var(--mute); }
.unreachable { color: var(--warn); }
.reason { display: block; color: #1f2328; font-size: 12px; overflow-wrap: anywhere; }
.held { background: #ffebe9; border: 1px solid var(--bad); border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.ignored { color: var(--warn); }
ul { margin: 4px 0; padding-left: 20px; }
.legend .cell { display: inline-block; margin-right: 8px; }
`;
