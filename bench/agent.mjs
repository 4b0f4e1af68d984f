/**
 * Issue 4: the agent's costs, measured on `gitdock run` itself (one process, the repository served
 * over smart HTTP by `git http-backend`):
 *  - one poll's cost against the manifest's history: the same one-service manifest at the head of
 *    a short and a 10,000-commit history (made with `git fast-import`), one agent each, their
 *    passes taking turns; a pass's duration is the time between its "start" and "done" log lines;
 *  - resident memory and CPU while idle, polling every 5 s, with 50 managed services: first with the
 *    in-place watch off, then (after a SIGHUP with the new config) scanning every container's writable
 *    layer once per idle window (`drift.scan_interval` = the window, five times the default's pace);
 *  - push + signed webhook → the changed service's new container healthy, minus the gate's own time.
 * Without `gitdock run`, the poll cost falls back to one `gitdock sync` process per poll and the
 * rest is reported as not measured.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  CLI,
  composeFile,
  fmtMs,
  git,
  gitdock,
  judge,
  median,
  removeContainers,
  removeNetworks,
  row,
  run,
  sleep,
  startGitServer,
  tempDir,
  timed,
} from "./lib.mjs";

/** A bare repository `<root>/<name>.git` whose `main` has `commits` commits; `files` are in the first. */
export async function historyRepo(root, name, commits, files) {
  const bare = path.join(root, `${name}.git`);
  await run("git", ["init", "-q", "--bare", "--initial-branch=main", bare]);
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const parts = [];
  for (let i = 1; i <= commits; i++) {
    parts.push(`commit refs/heads/main\nmark :${i}\ncommitter gitdock bench <bench@gitdock.invalid> ${1_700_000_000 + i * 60} +0000\n`);
    parts.push(data(`change ${i}`));
    if (i > 1) parts.push(`from :${i - 1}\n`);
    if (i === 1) for (const [file, content] of Object.entries(files)) parts.push(`M 100644 inline ${file}\n${data(content)}`);
    parts.push(`M 100644 inline history.txt\n${data(`release ${i}\n`)}\n`);
  }
  await git(bare, ["fast-import", "--quiet"], { input: parts.join("") });
  return bare;
}

/** One more commit on `main` of a bare repository; `files` (path → content) change, or nothing does. */
export async function addCommit(bare, message, files = {}) {
  let tree = "main^{tree}";
  if (Object.keys(files).length) {
    // Build the new tree in a throwaway index: read main's tree, add the blobs, write it.
    const env = { GIT_INDEX_FILE: path.join(bare, "gdb-index") };
    await git(bare, ["read-tree", "main"], { env });
    for (const [file, content] of Object.entries(files)) {
      const blob = (await git(bare, ["hash-object", "-w", "--stdin"], { input: content })).stdout.trim();
      await git(bare, ["update-index", "--add", "--cacheinfo", `100644,${blob},${file}`], { env });
    }
    tree = (await git(bare, ["write-tree"], { env })).stdout.trim();
  }
  const sha = (await git(bare, ["commit-tree", tree, "-p", "main", "-m", message])).stdout.trim();
  await git(bare, ["update-ref", "refs/heads/main", sha]);
  return sha;
}

/** `gitdock run` as a child process whose pino lines are kept (parsed) for `waitLog`. */
export function startAgent(args) {
  const child = spawn(process.execPath, [CLI, "run", ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, GITDOCK_LOG_LEVEL: "info" } });
  const lines = [];
  const waiters = new Set();
  let buf = "";
  let exited = false;
  child.stderr.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!text.startsWith("{")) continue;
      lines.push(JSON.parse(text));
      for (const w of waiters) w();
    }
  });
  const exit = new Promise((r) => child.on("exit", (code) => r(code)));
  exit.then(() => {
    exited = true;
    for (const w of waiters) w();
  });
  return {
    pid: child.pid,
    lines,
    /** The first log line from index `from` on that satisfies `pred`. */
    waitLog(what, pred, { from = 0, timeoutMs = 120_000 } = {}) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for the agent to log ${what}`)), timeoutMs);
        const check = () => {
          const hit = lines.slice(from).find(pred);
          if (hit) done(undefined, hit);
          else if (exited)
            done(
              new Error(
                `the agent exited while the bench waited for ${what}:\n${lines
                  .slice(-5)
                  .map((l) => l.msg)
                  .join("\n")}`,
              ),
            );
        };
        const done = (err, v) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(v);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** The pass's own last line (reconcile also logs a `stage: "done"` line of its own: "in sync"). */
const isPassEnd = (l, pass) => l.stage === "done" && l.pass === pass && /^(pass done|reconcile pass #)/.test(l.msg);

/** Waits for the next pass after log index `from` to finish; returns its start and done lines. */
async function nextPass(agent, from, timeoutMs = 180_000) {
  const start = await agent.waitLog("a pass start", (l) => l.stage === "start" && l.pass !== undefined, { from, timeoutMs });
  const done = await agent.waitLog(`pass #${start.pass} done`, (l) => isPassEnd(l, start.pass), { from, timeoutMs });
  return { start, done, ms: done.time - start.time, next: agent.lines.indexOf(done) + 1 };
}

const agentArgs = (url, state, hostId, interval, extra = []) => [
  "--repo",
  url,
  "--state-dir",
  state,
  "--host-id",
  hostId,
  "--interval",
  interval,
  "--listen",
  "127.0.0.1:0",
  ...extra,
];

/**
 * Poll passes (no-op, and finding a new commit) of one agent per history, both running at once and
 * taking turns: each pass is asked for with POST /sync (the same pass a poll runs) and finishes
 * before the other agent's starts, so the two histories are measured under the same background
 * load instead of minutes apart. The order alternates from one round to the next.
 */
async function pairedPollPasses({ repos, reps, cleanup }) {
  const agents = repos.map((r) => {
    const agent = startAgent(agentArgs(r.url, r.state, r.hostId, "1h"));
    cleanup.add(`stop the agent ${r.hostId}`, () => agent.stop());
    return { ...r, agent, next: 0 };
  });
  try {
    const polls = {};
    for (const a of agents) {
      const first = await nextPass(a.agent, 0); // the start-up pass: shallow clone, create the container
      const listening = await a.agent.waitLog("its listen address", (l) => typeof l.listen === "string" && l.stage === "agent");
      Object.assign(a, { next: first.next, listen: listening.listen });
      polls[a.n] = { first: first.ms, noop: [], newCommit: [] };
    }
    const pass = async (a) => {
      // POST /sync needs the control token the agent wrote to its state directory.
      const token = (await readFile(path.join(a.state, "agent.token"), "utf8")).trim();
      const res = await fetch(`http://${a.listen}/sync`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`POST /sync to the agent ${a.hostId} answered ${res.status}: ${await res.text()}`);
      const p = await nextPass(a.agent, a.next);
      a.next = p.next;
      return p;
    };
    const inTurn = (round) => (round % 2 === 0 ? agents : [...agents].reverse());
    for (let round = 0; round < reps; round++) {
      for (const a of inTurn(round)) {
        const p = await pass(a);
        if (p.done.changed || p.done.outcome !== "synced") throw new Error(`poll pass of ${a.url} was not a no-op: ${p.done.msg}`);
        polls[a.n].noop.push(p.ms);
      }
    }
    for (let round = 0; round < reps; round++) {
      for (const a of inTurn(round)) {
        const sha = await addCommit(a.bare, `poll ${round + 1}`);
        const p = await pass(a);
        if (p.done.target !== sha) throw new Error(`the pass of ${a.url} ended at ${p.done.target}, not at the new commit ${sha}`);
        polls[a.n].newCommit.push(p.ms);
      }
    }
    return polls;
  } finally {
    for (const a of agents) await a.agent.stop();
  }
}

/** /proc figures of a process: resident set (bytes) and CPU time used (clock ticks). */
async function procStats(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
  return { rss, ticks: Number(fields[11]) + Number(fields[12]) }; // utime (14) + stime (15)
}

/** VmRSS sampled every second and CPU from the process's own counters over `idleMs`; polls counted from its log. */
async function measureIdle(agent, idleMs) {
  const clkTck = Number((await run("getconf", ["CLK_TCK"])).stdout.trim()) || 100;
  const t0 = { at: performance.now(), ...(await procStats(agent.pid)) };
  const from = agent.lines.length;
  const rss = [];
  while (performance.now() - t0.at < idleMs) {
    await sleep(1000);
    rss.push((await procStats(agent.pid)).rss);
  }
  const t1 = { at: performance.now(), ...(await procStats(agent.pid)) };
  const cpuPct = (((t1.ticks - t0.ticks) / clkTck) * 1000 * 100) / (t1.at - t0.at);
  const polls = agent.lines.slice(from).filter((l) => isPassEnd(l, l.pass)).length;
  return { rss, cpuPct, polls };
}

/** Polls `cond` every second until it holds, for at most `timeoutMs`. */
async function waitUntil(cond, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${fmtMs(timeoutMs)} waiting for ${what}`);
    await sleep(1000);
  }
}

/** The agent's in-place watch as `/status` shows it (the control token is in its state directory). */
async function inPlaceStatus(listen, stateDir) {
  const token = (await readFile(path.join(stateDir, "agent.token"), "utf8")).trim();
  const res = await fetch(`http://${listen}/status`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /status answered ${res.status}`);
  return (await res.json()).agent.inPlace;
}

/** Idle RSS and CPU with 50 services (in-place watch off, then scanning), then push + webhook → the changed service's new container healthy. */
async function agentLoop({ root, serverUrl, idleMs, webhookReps, services, images, cleanup, log }) {
  const stacks = Math.ceil(services / 10);
  const stack = (s) => `gdb-agent-s${String(s).padStart(2, "0")}`;
  const files = Object.fromEntries(
    Array.from({ length: stacks }, (_, i) => [`${stack(i + 1)}/compose.yaml`, composeFile(Math.min(10, services - i * 10), images.sleeper, MONITOR_0S)]),
  );
  const bare = await historyRepo(root, "agent", 1, files);
  const dir = await tempDir(cleanup, "agent");
  const secretFile = path.join(dir, "webhook-secret");
  const secret = "gdb-bench-webhook-secret";
  await writeFile(secretFile, secret, { mode: 0o600 });
  cleanup.add("remove the agent's containers", async () => {
    await removeContainers("gdb-agent-");
    await removeNetworks("gdb-agent-");
  });

  const stateDir = path.join(dir, "state");
  const configFile = path.join(dir, "agent.yaml");
  await writeFile(configFile, "drift:\n  in_place: off\n");
  const agent = startAgent(
    agentArgs(`${serverUrl}/agent.git`, stateDir, "gdb-bench-agent", "5s", ["--webhook-secret-file", secretFile, "--config", configFile]),
  );
  cleanup.add("stop the agent", () => agent.stop());
  try {
    const listening = await agent.waitLog("its listen address", (l) => typeof l.listen === "string" && l.stage === "agent");
    const first = await nextPass(agent, 0, 300_000);
    if (first.done.changed !== services) throw new Error(`the agent's first pass applied ${first.done.changed} change(s), expected ${services}`);
    log(`  agent: first pass created ${services} services in ${fmtMs(first.ms)}`);
    await sleep(5_000); // let the first pass's aftermath (gauges, GC) settle

    // Idle, the in-place watch off: RSS sampled every second, CPU from the process's own counters over the whole window.
    const off = await measureIdle(agent, idleMs);
    const say = (what, m) =>
      `  agent idle ${fmtMs(idleMs)}, ${what}: RSS median ${(median(m.rss) / 2 ** 20).toFixed(1)} MB, max ${(Math.max(...m.rss) / 2 ** 20).toFixed(1)} MB, CPU ${m.cpuPct.toFixed(2)}% of a core, ${m.polls} poll passes`;
    log(say("in-place watch off", off));

    // Idle again with the in-place watch scanning: every container's writable layer once per window.
    const scanInterval = `${Math.max(1, Math.round(idleMs / 1000))}s`;
    await writeFile(configFile, `drift:\n  in_place: report\n  scan_interval: ${scanInterval}\n`);
    const reloadMark = agent.lines.length;
    process.kill(agent.pid, "SIGHUP");
    await agent.waitLog("the config reloaded", (l) => l.stage === "reload" && l.msg === "config reloaded", { from: reloadMark });
    await agent.waitLog("the reload's pass", (l) => isPassEnd(l, l.pass) && agent.lines.indexOf(l) > reloadMark, { from: reloadMark });
    // Measured once every container was scanned: the watch inspects each container once (its mounts
    // and healthcheck), then only asks for its changes; a long-running agent lives in that steady state.
    const firstCycle = performance.now();
    await waitUntil(async () => (await inPlaceStatus(listening.listen, stateDir)).scans >= services, idleMs * 2, "a first scan of every container");
    log(`  in-place watch: first scan of all ${services} containers took ${fmtMs(performance.now() - firstCycle)}`);
    const scansBefore = (await inPlaceStatus(listening.listen, stateDir)).scans;
    const on = await measureIdle(agent, idleMs);
    const watch = await inPlaceStatus(listening.listen, stateDir);
    on.scans = watch.scans - scansBefore;
    on.scanInterval = scanInterval;
    if (watch.changed.length)
      throw new Error(`the in-place watch reported containers the bench did not change: ${watch.changed.map((c) => c.container).join(", ")}`);
    log(`${say(`scanning (scan_interval ${scanInterval})`, on)}, ${on.scans} writable layers scanned`);

    // Push + webhook: change one service's environment, push, send the signed webhook at once.
    const changed = `${stack(1)}-svc01-1`;
    const webhook = [];
    for (let i = 1; i <= webhookReps; i++) {
      // Push right after a poll pass ended, with no other pass running, so the webhook's pass is the one that finds the commit.
      await sleep(2_500); // the follow-up pass the last rollout's own Engine events may trigger starts within ~2 s
      const lastStart = agent.lines.findLast((l) => l.stage === "start" && l.pass !== undefined);
      if (lastStart) await agent.waitLog("the running pass to finish", (l) => isPassEnd(l, lastStart.pass));
      await agent.waitLog("a poll pass to finish", (l) => isPassEnd(l, l.pass) && l.pass > (lastStart?.pass ?? 0), { from: agent.lines.length });
      const content = files[`${stack(1)}/compose.yaml`].replace("    init: true\n", `    init: true\n    environment:\n      GDB_RELEASE: "${i}"\n`);
      const mark = agent.lines.length;
      const sha = await addCommit(bare, `release ${i}`, { [`${stack(1)}/compose.yaml`]: content });
      const body = JSON.stringify({ ref: "refs/heads/main", after: sha });
      const sent = Date.now();
      const res = await fetch(`http://${listening.listen}/hooks/git`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
        },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      const started = await agent.waitLog(`${changed} started`, (l) => l.container === changed && l.step === "started", { from: mark });
      const passed = await agent.waitLog(`${changed} replaced`, (l) => l.container === changed && l.action === "replace" && l.outcome === "ok", { from: mark });
      const pass = await agent.waitLog("the pass's start", (l) => l.stage === "start" && l.pass === started.pass, { from: mark });
      const retired = await agent.waitLog(`${changed} retired`, (l) => l.container === changed && l.step === "retired", { from: mark });
      webhook.push({
        total: passed.time - sent,
        gate: passed.time - started.time,
        minusGate: started.time - sent,
        triggers: pass.triggers,
        toPass: pass.time - sent,
        passToRetired: retired.time - pass.time,
        retiredToStarted: started.time - retired.time,
      });
      await agent.waitLog("the pass to finish", (l) => isPassEnd(l, started.pass), { from: mark });
    }
    log(`  push + webhook → started: ${webhook.map((w) => `${w.minusGate} ms (${w.triggers})`).join(", ")}`);
    return { firstPassMs: first.ms, idle: { off, on }, webhook };
  } finally {
    await agent.stop();
  }
}

const MONITOR_0S = "    deploy:\n      update_config:\n        monitor: 0s\n";

/** The idle rows of one measurement, against the idle targets. */
function idleRows(m, what, idleMs) {
  const mb = (b) => b / 2 ** 20;
  return [
    judge({
      name: `idle RSS, ${what} (median)`,
      gitdockValue: mb(median(m.rss)),
      gitdockText: `${mb(median(m.rss)).toFixed(1)} MB`,
      target: { mb: 80, text: "< 80 MB" },
    }),
    { name: "idle RSS, max", gitdockText: `${mb(Math.max(...m.rss)).toFixed(1)} MB` },
    judge({
      name: `idle CPU over ${fmtMs(idleMs)} (${m.polls} polls), ${what.replace(/^\d+ services, 5 s interval, /, "")}`,
      gitdockValue: m.cpuPct,
      gitdockText: `${m.cpuPct.toFixed(2)}%`,
      target: { pct: 2, text: "< 2% of a core" },
    }),
  ];
}

export async function agentScenario({ histories, reps, idleMs, webhookReps, services, images, cleanup, log }) {
  const root = await tempDir(cleanup, "git-root");
  const server = await startGitServer(root);
  cleanup.add("stop the git server", () => server.close());
  const stateRoot = await tempDir(cleanup, "poll-state");
  cleanup.add("remove the poll containers", async () => {
    await removeContainers("gdb-poll");
    await removeNetworks("gdb-poll");
  });
  const hasRun = (await gitdock(["run", "--help"], { allowFail: true })).stdout.includes("Usage: gitdock run");

  // Poll cost against history length.
  const repos = [];
  for (const n of histories) {
    const stack = `gdb-poll${n}`;
    const t = await timed(() => historyRepo(root, `h${n}`, n, { [`${stack}/compose.yaml`]: composeFile(1, images.sleeper, MONITOR_0S) }));
    log(`  made a ${n}-commit history with git fast-import in ${fmtMs(t)}`);
    repos.push({ n, url: `${server.url}/h${n}.git`, bare: path.join(root, `h${n}.git`), state: path.join(stateRoot, String(n)), hostId: `gdb-bench-poll${n}` });
  }
  let polls = {};
  if (hasRun) polls = await pairedPollPasses({ repos, reps, cleanup });
  else for (const repo of repos) polls[repo.n] = await syncPolls({ ...repo, reps });
  for (const n of histories)
    log(`  ${n} commits: no-op polls ${polls[n].noop.map(fmtMs).join(", ")}; new-commit polls ${polls[n].newCommit.map(fmtMs).join(", ")}`);
  const loop = hasRun ? await agentLoop({ root, serverUrl: server.url, idleMs, webhookReps, services, images, cleanup, log }) : undefined;

  const [small, big] = histories;
  const m = (n, k) => median(polls[n][k]);
  const how = hasRun ? "poll pass inside `gitdock run` (log start → done)" : "`gitdock sync` process per poll";
  const notMeasured = "not measured: agent loop not available";
  const mb = (b) => b / 2 ** 20;
  const rows = [
    judge(row(`poll, no-op (median of ${reps})`, m(big, "noop"), m(small, "noop"), { ratio: 1.5, text: "< 1.5x" })),
    judge(row(`poll, new commit (median of ${reps})`, m(big, "newCommit"), m(small, "newCommit"), { ratio: 1.5, text: "< 1.5x" })),
    row("first pass: shallow clone + create (1 run)", polls[big].first, polls[small].first, undefined),
  ];
  if (loop) {
    const wh = (k) => median(loop.webhook.map((w) => w[k]));
    rows.push(
      ...idleRows(loop.idle.off, `${services} services, 5 s interval, in-place watch off`, idleMs),
      ...idleRows(loop.idle.on, `in-place scans on (${loop.idle.on.scans} layers in ${fmtMs(idleMs)})`, idleMs),
      judge(row(`push + webhook → healthy, minus gate (median of ${webhookReps})`, wh("minusGate"), undefined, { ms: 1000, text: "< 1 s" })),
      row("  of which: webhook sent → pass starts", wh("toPass"), undefined, undefined),
      row("  of which: pass start → old container stopped (fetch, plan)", wh("passToRetired"), undefined, undefined),
      row("  of which: stopped → new container created and started", wh("retiredToStarted"), undefined, undefined),
      row("the gate's own time (monitor 0s, no healthcheck; not counted)", wh("gate"), undefined, undefined),
    );
  } else {
    for (const [name, text] of [
      ["idle RSS", "< 80 MB"],
      ["idle CPU", "< 2% of a core"],
      ["push + webhook → healthy, minus gate", "< 1 s"],
    ]) {
      rows.push({ name, gitdockText: notMeasured, notMeasured: true, target: { text } });
    }
  }
  return {
    title: `Agent: poll cost with ${big.toLocaleString("en")} vs ${small} commits of history, idle cost, webhook latency (issue 4)`,
    columns: [`gitdock (${big.toLocaleString("en")} commits)`, `gitdock (${small} commits)`],
    notes: [
      `Poll cost: ${how}; one service; repository served by git http-backend on 127.0.0.1. The columns are the two histories (no peer tool).`,
      ...(hasRun ? ["One agent per history, both running; their passes (asked for with POST /sync) take turns, so both see the same load."] : []),
      "no-op poll = branch head unchanged; new commit = the head moved to a commit with the same tree (shallow fetch of one commit, empty plan).",
      ...(loop
        ? [
            `Idle: \`gitdock run --interval 5s\` managing ${services} services; VmRSS sampled every second, CPU = utime+stime over the window;`,
            "first with drift.in_place: off, then (SIGHUP) in_place: report with scan_interval = the window: each container's writable layer",
            "scanned once in it (GET /containers/{id}/changes, one at a time; the default 5m scans a fifth as often), measured after a",
            "first scan of every container (which also inspects each once).",
            "Webhook: a commit changes one service's environment and lands in the served repository; the signed GitHub-style webhook",
            'is sent at once; "minus gate" = until the new container started (its gate began); the gate\'s own time is shown below it.',
          ]
        : [`${notMeasured}: \`gitdock run\` does not exist in this checkout.`]),
    ],
    rows,
    raw: { polls, loop },
  };
}

/** Fallback without `gitdock run`: one `gitdock sync` process per poll. */
async function syncPolls({ url, bare, state, hostId, reps }) {
  const sync = () => gitdock(["sync", "--repo", url, "--state-dir", state, "--host-id", hostId]);
  const first = await timed(sync);
  const noop = [];
  const newCommit = [];
  for (let i = 0; i < reps; i++) noop.push(await timed(sync));
  for (let i = 0; i < reps; i++) {
    await addCommit(bare, `poll ${i + 1}`);
    newCommit.push(await timed(sync));
  }
  return { first, noop, newCommit };
}
