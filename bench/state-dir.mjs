/**
 * Issue 13: the state directory's size after many polls that each found a new commit, on
 * `gitdock run` itself (the repository served over smart HTTP by `git http-backend`). Each poll is
 * a pass asked for with POST /sync right after a commit that changes nothing on the host, so it
 * fetches exactly one commit (and its pack); the clone is repacked every 9 fetches. Measured 20
 * times over the run with `du`: the whole state directory, its journal and its clone, and the clone's packs;
 * and the pass's own duration at the start and at the end (a repack must keep it flat too).
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { addCommit, historyRepo, startAgent } from "./agent.mjs";
import { composeFile, judge, median, removeContainers, removeNetworks, row, run, sleep, startGitServer, tempDir, timed } from "./lib.mjs";

const MONITOR_0S = "    deploy:\n      update_config:\n        monitor: 0s\n";
const KiB = (b) => `${(b / 1024).toFixed(0)} KiB`;

async function du(dir) {
  const { stdout } = await run("du", ["-s", "--block-size=1", dir]);
  return Number(stdout.split("\t")[0]);
}

async function packs(stateDir) {
  const source = path.join(stateDir, "source");
  let n = 0;
  for (const clone of await readdir(source)) n += (await readdir(path.join(source, clone, "objects", "pack"))).filter((f) => f.endsWith(".idx")).length;
  return n;
}

async function sample(stateDir, polls, opts = { clone: true }) {
  const total = await du(stateDir);
  const st = await stat(path.join(stateDir, "journal.jsonl"));
  const journal = st.blocks * 512;
  const clone = opts.clone ? await du(path.join(stateDir, "source")) : undefined;
  return { polls, total, journal, journalBytes: st.size, clone, rest: total - journal, packs: await packs(stateDir) };
}

export async function stateDirScenario({ polls, images, cleanup, log }) {
  const root = await tempDir(cleanup, "state-git-root");
  const server = await startGitServer(root);
  cleanup.add("stop the git server", () => server.close());
  cleanup.add("remove the state scenario's containers", async () => {
    await removeContainers("gdb-state");
    await removeNetworks("gdb-state");
  });
  const bare = await historyRepo(root, "state", 1, { "gdb-state/compose.yaml": composeFile(1, images.sleeper, MONITOR_0S) });
  const stateDir = path.join(await tempDir(cleanup, "state-dir"), "state");
  const agent = startAgent([
    "--repo",
    `${server.url}/state.git`,
    "--state-dir",
    stateDir,
    "--host-id",
    "gdb-bench-state",
    "--interval",
    "1h",
    "--listen",
    "127.0.0.1:0",
  ]);
  cleanup.add("stop the state scenario's agent", () => agent.stop());
  try {
    const listening = await agent.waitLog("its listen address", (l) => typeof l.listen === "string" && l.stage === "agent");
    const token = async () => (await readFile(path.join(stateDir, "agent.token"), "utf8")).trim();
    const post = async () => {
      const res = await fetch(`http://${listening.listen}/sync`, { method: "POST", headers: { Authorization: `Bearer ${await token()}` } });
      return { res, body: await res.json() };
    };
    // A pass that fails for a reason gitdock retries (the shared Engine restarting under another
    // run) is asked for again, a few times; only a pass that succeeded at once is timed.
    const pass = async () => {
      for (let attempt = 1; ; attempt++) {
        const { res, body } = await post();
        if (res.ok) return { pass: body.pass, retried: attempt > 1 };
        if (body.pass?.error?.handling !== "retry" || attempt >= 30) throw new Error(`POST /sync answered ${res.status}: ${JSON.stringify(body)}`);
        log(`  a pass failed (${body.pass.error.message}); asking again`);
        await sleep(2_000);
      }
    };
    await pass(); // the first pass: clone, create the one container
    const samples = [await sample(stateDir, 0)];
    const every = Math.max(1, Math.round(polls / 20));
    const durations = [];
    const perPoll = []; // the state directory without the journal, after each poll
    let maxPacks = 0;
    for (let i = 1; i <= polls; i++) {
      const sha = await addCommit(bare, `poll ${i}`);
      let p;
      const ms = await timed(async () => (p = await pass()));
      if (!p.retried) durations.push(ms);
      if (p.pass.summary?.target !== sha) throw new Error(`poll ${i} ended at ${p.pass.summary?.target}, not at the new commit ${sha}`);
      const now = await sample(stateDir, i, { clone: i % every === 0 || i === polls });
      maxPacks = Math.max(maxPacks, now.packs);
      perPoll.push(now.rest);
      if (now.clone !== undefined) samples.push(now);
      if (i % (every * 2) === 0 || i === polls) {
        const recent = median(durations.slice(-every));
        log(
          `  after ${i} polls: state directory ${KiB(now.total)} (journal ${KiB(now.journal)}, clone ${KiB(now.clone)} in ${now.packs} pack(s), the rest ${KiB(now.rest - now.clone)}); pass ${recent.toFixed(0)} ms`,
        );
      }
    }
    return result({ polls, samples, perPoll, durations, maxPacks });
  } finally {
    await agent.stop();
  }
}

function result({ polls, samples, perPoll, durations, maxPacks }) {
  const early = Math.max(1, Math.round(polls * 0.3));
  const at = (n) => samples.reduce((best, s) => (Math.abs(s.polls - n) < Math.abs(best.polls - n) ? s : best));
  const [a, b] = [at(polls), at(early)];
  const sizes = (name, key) => row(name, a[key], b[key], undefined, { gitdockText: KiB(a[key]), peerText: KiB(b[key]) });
  // Largest over a stretch of polls (at least one repack cycle), so the phase of the cycle does not matter.
  const span = Math.max(9, Math.round(polls / 10));
  const largest = (from, to) => Math.max(...perPoll.slice(from, to));
  const [endFrom, earlyFrom] = [Math.max(0, polls - span), Math.max(0, early - span)];
  const flat = judge(
    row(
      `state directory without the journal, largest over polls ${endFrom + 1}–${polls} vs ${earlyFrom + 1}–${early}`,
      largest(endFrom, polls),
      largest(earlyFrom, early),
      { ratio: 1.1, text: "<= 1.1x (flat)" },
      {
        gitdockText: KiB(largest(endFrom, polls)),
        peerText: KiB(largest(earlyFrom, early)),
      },
    ),
  );
  const window = Math.max(1, Math.min(50, Math.floor(polls / 5)));
  const first = durations.slice(window, 2 * window);
  const last = durations.slice(-window);
  const journalPerPoll = (a.journalBytes - b.journalBytes) / Math.max(1, a.polls - b.polls);
  return {
    title: `State directory after ${polls.toLocaleString("en")} polls that each found a new commit (issue 13)`,
    columns: [`after ${a.polls.toLocaleString("en")} polls`, `after ${b.polls.toLocaleString("en")} polls`],
    notes: [
      "`gitdock run`, one service; each poll = a commit that changes nothing on the host, then POST /sync (fetch of one commit, empty plan).",
      "Sizes are `du` (bytes allocated), after every poll; the clone's every 5 % of the run. The journal is not rotated by design",
      '(README, "The state directory"): it grows by one line per such poll. The clone is repacked once it holds more than 8 packs:',
      "one pack of the last 100 commits (and back to the last good one), each with its whole tree; between repacks it gains a pack per poll.",
    ],
    rows: [
      flat,
      sizes("the clone", "clone"),
      sizes("the journal", "journal"),
      sizes("the whole state directory", "total"),
      { name: "journal growth per poll", gitdockText: `${journalPerPoll.toFixed(0)} B` },
      { name: "clone packs, most at any time", gitdockText: String(maxPacks), target: { text: "<= 9" }, met: maxPacks <= 9 },
      judge(
        row(`poll pass, polls ${polls - window + 1}–${polls} vs ${window + 1}–${2 * window} (median)`, median(last), median(first), {
          ratio: 1.5,
          text: "< 1.5x",
        }),
      ),
    ],
    raw: { samples, perPoll, durations, maxPacks },
  };
}
