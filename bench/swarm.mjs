/**
 * Issue 16: gitdock's Swarm engine (`engine: swarm`) against `docker stack deploy` on one real
 * cluster — a manager and two workers, each its own Docker Engine in its own network namespace
 * (test/support/swarm-cluster.ts, compiled by swarm-cluster.mjs), every node pulling the bench's
 * images from the cluster's bridge registry (pulled on every node before anything is timed).
 *
 * 1. Converge time of a first deploy of a `services`-service stack, then of an update changing
 *    every service's environment: `gitdock sync` (it returns once its health gate passed) against
 *    `docker stack deploy -c FILE NAME` (it returns at once) followed by polling the manager until
 *    the stack runs the release — the convergence condition of swarm-watch.mjs, which the same
 *    poller also checks while gitdock syncs.
 * 2. A release changing `changed` services of which `failing` get an image whose healthcheck fails:
 *    time until every changed service runs the last good spec again — gitdock's whole-commit
 *    rollback against Swarm's `update_config.failure_action: rollback` (per service: the services
 *    that did not fail stay on the failed release's spec).
 *
 * The tools deploy the very same Compose text under different stack names (gitdock's policy
 * refuses to take over services it does not own), one after the other, the order swapped every
 * repetition; each stack is removed (`docker stack rm`, then until no container of it is left on any
 * node) before the next one is deployed. The cluster, with everything in it, is torn down at the end.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { fmtMs, gitdock, localRepo, median, row, run, tempDir, waitFor } from "./lib.mjs";
import { startBenchCluster } from "./swarm-cluster.mjs";
import { NAMESPACE, firstLook, runsSpec, specKey, stackRuns, watchStack } from "./swarm-watch.mjs";

/** Stack names: gitdock's come from the repository's directory names. */
const STACKS = { gitdock: { deploy: "gdb-swg", release: "gdb-swgr" }, stack: { deploy: "gdb-sws", release: "gdb-swsr" } };
const HOST_ID = "gdb-bench-swarm";
/**
 * The health gate's window, `update_config.monitor` (gitdock's default is 10 s). Swarm counts a new
 * task that fails before it ever ran towards `failure_action` whatever the window.
 */
const MONITOR_MS = 2_000;
/**
 * The web services' healthcheck, in the Compose file so both tools send it: the image's own (every
 * 1 s, 2 s timeout, 2 retries) fails healthy containers now and then on 2 loaded cores; this one
 * still fails the bad image (it has no /healthz) within about 4 s.
 */
const HEALTHCHECK = '{ test: ["CMD", "/bin/wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"], interval: 1s, timeout: 5s, retries: 3 }';
const PEER = "docker stack deploy";
/** Swarm's update states in which an update is still under way. */
const MOVING = new Set(["updating", "rollback_started"]);

/** The stack's services: odd ones the web image (a Docker HEALTHCHECK), even ones the sleeper; the first half 2 replicas, the rest 1. */
function stackServices({ count, release, failing = [], images }) {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const name = `s${String(i).padStart(2, "0")}`;
    const image = failing.includes(name) ? images["web-bad"] : i % 2 === 1 ? images.web : images.sleeper;
    return { name, image, web: i % 2 === 1, replicas: i <= count / 2 ? 2 : 1, env: [`RELEASE=${release}`] };
  });
}

/** The first `n` web services, spread over the stack (the ones a failing release breaks). */
function failingNames(count, n) {
  const web = stackServices({ count, release: 0, images: {} }).filter((s) => s.web);
  if (n > web.length) throw new Error(`cannot fail ${n} of ${count} services: only ${web.length} have a healthcheck`);
  return Array.from({ length: n }, (_, j) => web[Math.round((j * (web.length - 1)) / Math.max(1, n - 1))].name);
}

function composeText(services, monitorMs) {
  const lines = ["services:"];
  for (const s of services) {
    lines.push(
      `  ${s.name}:`,
      `    image: ${s.image}`,
      "    init: true",
      "    stop_grace_period: 1s",
      `    environment: { ${s.env.map((e) => e.replace("=", ': "')).join('", ')}" }`,
      ...(s.web ? [`    healthcheck: ${HEALTHCHECK}`] : []),
      "    deploy:",
      `      replicas: ${s.replicas}`,
      "      endpoint_mode: dnsrr",
      `      update_config: { parallelism: 1, monitor: ${monitorMs / 1000}s, failure_action: rollback }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Swarm service name → spec key of each service, as the stack should run them. */
function expectedSpecs(stack, services) {
  return new Map(services.map((s) => [`${stack}_${s.name}`, specKey({ Image: s.image, Env: s.env })]));
}

// ---------------------------------------------------------------------------------------------
// The two tools

/** `docker stack deploy` of `text` as `stack`, on the manager; returns when the CLI does. */
async function stackDeploy(ctx, stack, text) {
  const file = path.join(ctx.dir, `${stack}.yaml`);
  await writeFile(file, text);
  await run("docker", ["-H", ctx.cluster.manager.dockerHost, "stack", "deploy", "--detach=true", "-c", file, stack]);
}

/**
 * Commits `text` as the stack's compose.yaml and runs `gitdock sync`; resolves with its exit code,
 * when it was started (after the commit, as the CLI is for `docker stack deploy`) and exited, and its JSON log lines.
 */
async function gitdockSync(ctx, stack, text, stateDir) {
  await ctx.repo.commit({ [`${stack}/compose.yaml`]: text }, `${stack}: bench release`);
  const startAt = Date.now();
  const lines = [];
  const args = ["sync", "--repo", ctx.repo.dir, "--state-dir", stateDir, "--host-id", HOST_ID, "--config", ctx.config];
  const r = await gitdock(args, { allowFail: true, onStderrLine: (l) => l.startsWith("{") && lines.push(JSON.parse(l)) });
  return { code: r.code, startAt, exitAt: Date.now(), lines, output: r.stdout + r.stderr };
}

/** An error for a sync that ended otherwise than expected: its warnings and errors, and every task of the stack (for the report). */
async function syncFailed(ctx, stack, what, sync) {
  const problems = sync.lines.filter((l) => l.level >= 40).map((l) => `  ${l.msg}${l.problem ? `: ${l.problem}` : ""}`);
  const human = sync.output.split("\n").filter((l) => !l.startsWith("{"));
  return new Error(`${what} exited ${sync.code}:\n${problems.join("\n")}\n${human.join("\n")}\ntasks of ${stack}:\n${await stackPs(ctx, stack)}`);
}

/** `docker stack ps --no-trunc`: every task of the stack, with its state and error. */
async function stackPs(ctx, stack) {
  const format = "{{.Name}} {{.Image}} {{.DesiredState}} {{.CurrentState}} {{.Error}}";
  const r = await run("docker", ["-H", ctx.cluster.manager.dockerHost, "stack", "ps", "--no-trunc", "--format", format, stack], { allowFail: true });
  return r.stdout + r.stderr;
}

/** `docker stack rm`, then until the manager lists none of its services or networks and no node any of its containers. */
async function removeStack(ctx, stack) {
  const { cluster, api } = ctx;
  await run("docker", ["-H", cluster.manager.dockerHost, "stack", "rm", stack], { allowFail: true });
  const label = `${NAMESPACE}=${stack}`;
  await waitFor(
    `stack ${stack} to be gone from every node`,
    async () => {
      if ((await api.listServices({ filters: { label: [label] } })).length) return false;
      if ((await api.listNetworks({ filters: { label: [label] } })).length) return false;
      for (const n of cluster.nodes) if ((await cluster.docker(n, ["ps", "-aq", "--filter", `label=${label}`])).trim()) return false;
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}

// ---------------------------------------------------------------------------------------------
// 1. First deploy and update

/** `docker stack deploy` → the stack runs the release. */
async function stackConverge(ctx, stack, services) {
  const expected = expectedSpecs(stack, services);
  const t0 = Date.now();
  await stackDeploy(ctx, stack, composeText(services, MONITOR_MS));
  const returned = Date.now();
  const at = await firstLook(ctx.api, stack, (o) => stackRuns(o, expected), { what: `${stack} to run the release` });
  return { ms: at - t0, cliMs: returned - t0 };
}

/** `gitdock sync` → its exit (code 0); the same poller notes when the stack ran the release. */
async function gitdockConverge(ctx, stack, services, stateDir) {
  const expected = expectedSpecs(stack, services);
  let convergedAt;
  const watch = watchStack(ctx.api, stack, (o, at) => {
    if (convergedAt === undefined && stackRuns(o, expected)) convergedAt = at;
  });
  const sync = await gitdockSync(ctx, stack, composeText(services, MONITOR_MS), stateDir).finally(() => watch.stop());
  if (watch.error) throw watch.error;
  if (sync.code !== 0) throw await syncFailed(ctx, stack, "gitdock sync (expected 0, synced)", sync);
  // A sync that says "healthy" while the stack does not run the release would be a gitdock bug: look once more.
  convergedAt ??= await firstLook(ctx.api, stack, (o) => stackRuns(o, expected), { timeoutMs: 5_000, what: `${stack} to run the release gitdock synced` });
  return {
    ms: sync.exitAt - sync.startAt,
    convergedMs: convergedAt - sync.startAt,
    gates: sync.lines.filter((l) => l.stage === "health" && Number.isFinite(l.durationMs)).map((l) => l.durationMs),
  };
}

async function deployAndUpdate(base, { count, reps, log }) {
  const ctx = { ...base, repo: await localRepo(await tempDir(base.cleanup, "swarm-deploy-repo")) };
  const m = { gitdock: { deploy: [], update: [], deployConv: [], updateConv: [] }, stack: { deploy: [], update: [], cli: [] } };
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? ["stack", "gitdock"] : ["gitdock", "stack"];
    for (const tool of order) {
      const stack = STACKS[tool].deploy;
      const first = stackServices({ count, release: 1, images: ctx.images });
      const next = stackServices({ count, release: 2, images: ctx.images });
      if (tool === "stack") {
        const a = await stackConverge(ctx, stack, first);
        const b = await stackConverge(ctx, stack, next);
        m.stack.deploy.push(a.ms);
        m.stack.update.push(b.ms);
        m.stack.cli.push(a.cliMs, b.cliMs);
        log(`  ${PEER} ${rep + 1}/${reps}: first deploy ${fmtMs(a.ms)} (CLI returned after ${fmtMs(a.cliMs)}), update ${fmtMs(b.ms)}`);
      } else {
        const stateDir = path.join(await tempDir(ctx.cleanup, "swarm-state"), "state");
        const a = await gitdockConverge(ctx, stack, first, stateDir);
        const b = await gitdockConverge(ctx, stack, next, stateDir);
        m.gitdock.deploy.push(a.ms);
        m.gitdock.update.push(b.ms);
        m.gitdock.deployConv.push(a.convergedMs);
        m.gitdock.updateConv.push(b.convergedMs);
        log(
          `  gitdock ${rep + 1}/${reps}: first deploy ${fmtMs(a.ms)} (stack ran it after ${fmtMs(a.convergedMs)}; gates ${fmtMs(Math.min(...a.gates))}–${fmtMs(Math.max(...a.gates))}), ` +
            `update ${fmtMs(b.ms)} (stack ran it after ${fmtMs(b.convergedMs)}; gates ${fmtMs(Math.min(...b.gates))}–${fmtMs(Math.max(...b.gates))})`,
        );
      }
      await removeStack(ctx, stack);
    }
    log(`  (load average ${os.loadavg()[0].toFixed(2)})`);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// 2. A failing release

/**
 * Watches a failing release of `stack`: when a task of a failing service's bad spec was first seen
 * failed, when the failing services and when all changed services ran the last good spec again
 * (each after the release's spec had been seen on every changed service), and, at each look, how
 * many services hold the failed release's spec and whether any update is still under way.
 */
function watchRelease(ctx, stack, good, bad, failing) {
  const goodSpecs = expectedSpecs(stack, good);
  const badSpecs = expectedSpecs(stack, bad);
  const failingNames = new Set(failing.map((n) => `${stack}_${n}`));
  const seenBad = new Set();
  const seen = { firstFailure: undefined, failingBack: undefined, allBack: undefined, onBad: 0, moving: true, looks: 0 };
  const back = (o, names) => [...names].every((n) => runsSpec(o.get(n), goodSpecs.get(n)));
  const watch = watchStack(ctx.api, stack, (o, at) => {
    seen.looks++;
    for (const [name, s] of o) if (s.spec === badSpecs.get(name)) seenBad.add(name);
    if (seen.firstFailure === undefined && [...failingNames].some((n) => o.get(n)?.failed.includes(badSpecs.get(n)))) seen.firstFailure = at;
    const released = seenBad.size === badSpecs.size;
    if (released && seen.failingBack === undefined && back(o, failingNames)) seen.failingBack = at;
    if (released && seen.allBack === undefined && back(o, goodSpecs.keys())) seen.allBack = at;
    seen.onBad = [...o].filter(([name, s]) => s.spec === badSpecs.get(name)).length;
    seen.moving = [...o.values()].some((s) => MOVING.has(s.update));
  });
  return { seen, watch };
}

async function failingRelease(base, { changed, failing: failCount, reps, log }) {
  const ctx = { ...base, repo: await localRepo(await tempDir(base.cleanup, "swarm-release-repo")) };
  const failing = failingNames(changed, failCount);
  const good = stackServices({ count: changed, release: 1, images: ctx.images });
  const bad = stackServices({ count: changed, release: 2, failing, images: ctx.images });
  const m = {
    gitdock: { allBack: [], failingBack: [], fromFailure: [], decision: [], onBad: [], codes: [] },
    stack: { allBack: [], failingBack: [], fromFailure: [], onBad: [] },
  };
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? ["stack", "gitdock"] : ["gitdock", "stack"];
    for (const tool of order) {
      const stack = STACKS[tool].release;
      const goodText = composeText(good, MONITOR_MS);
      const badText = composeText(bad, MONITOR_MS);
      const stateDir = path.join(await tempDir(ctx.cleanup, "swarm-state"), "state");
      if (tool === "stack") await stackDeploy(ctx, stack, goodText);
      else {
        const r = await gitdockSync(ctx, stack, goodText, stateDir);
        if (r.code !== 0) throw await syncFailed(ctx, stack, "gitdock sync of the good release (expected 0, synced)", r);
      }
      await firstLook(ctx.api, stack, (o) => stackRuns(o, expectedSpecs(stack, good)), { what: `${stack} to run the good release` });

      const { seen, watch } = watchRelease(ctx, stack, good, bad, failing);
      let t0 = Date.now();
      let sync;
      try {
        if (tool === "stack") await stackDeploy(ctx, stack, badText);
        else {
          sync = await gitdockSync(ctx, stack, badText, stateDir);
          t0 = sync.startAt;
          if (sync.code !== 3) throw await syncFailed(ctx, stack, "gitdock sync of the failing release (expected 3, rolled back)", sync);
        }
        // Swarm has settled once the failing services are back and no update is under way; gitdock once its sync exited.
        const settled = () => {
          if (watch.error) throw watch.error;
          return seen.failingBack !== undefined && !seen.moving;
        };
        await waitFor(`${stack}: the failing services back on the last good spec, no update under way`, settled, {
          timeoutMs: 300_000,
          intervalMs: 200,
        }).catch(async (err) => {
          throw new Error(`${err.message}; tasks of ${stack}:\n${await stackPs(ctx, stack)}`);
        });
        if (tool === "gitdock")
          await waitFor(`${stack}: every changed service back on the last good spec`, () => seen.allBack !== undefined, { timeoutMs: 30_000 });
        const looks = seen.looks;
        await waitFor("one more look at the settled stack", () => seen.looks > looks + 1, { timeoutMs: 10_000 });
      } finally {
        await watch.stop();
      }
      if (watch.error) throw watch.error;
      const into = m[tool];
      into.allBack.push(seen.allBack === undefined ? NaN : seen.allBack - t0);
      into.failingBack.push(seen.failingBack - t0);
      into.fromFailure.push(seen.failingBack - (seen.firstFailure ?? NaN));
      into.onBad.push(seen.onBad);
      let extra = "";
      if (sync) {
        const decided = sync.lines.find((l) => l.stage === "rollback")?.time;
        into.decision.push(decided - (seen.firstFailure ?? NaN));
        into.codes.push(sync.code);
        extra = `; first failed task → rollback decision ${fmtMs(decided - seen.firstFailure)}, sync exited ${sync.code} after ${fmtMs(sync.exitAt - t0)}`;
      }
      log(
        `  ${tool === "stack" ? PEER : "gitdock"} failing release ${rep + 1}/${reps}: failing services back after ${fmtMs(seen.failingBack - t0)} ` +
          `(${fmtMs(seen.failingBack - seen.firstFailure)} from the first failed task), all ${changed} back ${seen.allBack === undefined ? "never" : `after ${fmtMs(seen.allBack - t0)}`}, ` +
          `${seen.onBad} left on the failed release${extra}`,
      );
      await removeStack(ctx, stack);
    }
    log(`  (load average ${os.loadavg()[0].toFixed(2)})`);
  }
  return { m, failing };
}

// ---------------------------------------------------------------------------------------------

export async function swarmScenario({ services, changed, failing, reps, images, cleanup, log }) {
  const t0 = Date.now();
  const cluster = await startBenchCluster({ cleanup, managers: 1, workers: 2, log });
  log(`  cluster ${cluster.index} (1 manager, 2 workers) up in ${fmtMs(Date.now() - t0)}; nodes pull from ${cluster.registry}`);
  const onCluster = Object.fromEntries(Object.entries(images).map(([k, v]) => [k, cluster.image(v)]));
  await Promise.all(
    cluster.nodes.map(async (n) => Object.values(onCluster).reduce((p, ref) => p.then(() => cluster.docker(n, ["pull", "-q", ref])), Promise.resolve())),
  );
  const dir = await tempDir(cleanup, "swarm-stacks");
  const config = path.join(dir, "gitdock.yaml");
  await writeFile(config, `engine: swarm\ndocker_host: ${cluster.manager.dockerHost}\n`);
  const ctx = {
    cluster,
    api: new Docker({ socketPath: cluster.manager.socket }),
    images: onCluster,
    dir,
    config,
    cleanup,
  };

  const d = await deployAndUpdate(ctx, { count: services, reps, log });
  const { m: f, failing: failingList } = await failingRelease(ctx, { changed, failing, reps, log });

  const gateMs = MONITOR_MS;
  const target = { text: `≤ 1.1x + gate ${gateMs / 1000} s` };
  const vsPeerPlusGate = (name, g, p) => ({ ...row(name, g, p, target), met: g <= 1.1 * p + gateMs });
  const n = (xs) => `median of ${xs.length}`;
  const tasks = stackServices({ count: services, release: 0, images }).reduce((sum, s) => sum + s.replicas, 0);
  const badOf = (xs) => `${median(xs)} of ${changed}`;
  return {
    title: `Swarm: gitdock vs docker stack deploy on a 3-node cluster (issue 16)`,
    peer: PEER,
    columns: ["gitdock", PEER],
    notes: [
      `One cluster: 1 manager + 2 workers (test/support/swarm-cluster.ts), each its own Engine; images pulled on every node beforehand.`,
      `Deploy/update: ${services} services (${tasks} tasks; odd ones busybox httpd with a Compose healthcheck every 1 s, even ones a sleeper; the first half 2 replicas),`,
      `  endpoint_mode dnsrr, update_config parallelism 1, monitor ${gateMs / 1000}s, stop-first; the update changes every service's environment.`,
      `  gitdock = \`gitdock sync\` wall time (the commit made before; it returns after its health gate); ${PEER} = the CLI (--detach) until the stack`,
      `  runs the release: every service's current spec has all its replicas running (healthy, for a healthcheck) and no other task running, polled every 200 ms.`,
      `  Target: gitdock ≤ 1.1x ${PEER} plus the gate's own time (the monitor window, ${gateMs / 1000} s). "the stack ran it" = the same poller during gitdock's sync.`,
      `Failing release: ${changed} services all changed (environment), ${failingList.join(" and ")} to an image whose healthcheck fails; update_config monitor`,
      `  ${MONITOR_MS / 1000}s and failure_action: rollback in the Compose file (Swarm applies it; gitdock sends pause and rolls the whole commit back itself).`,
      `  "back on the last good spec" = the service's current spec is the last good one, all its replicas of it running, no other task running;`,
      `  counted only after the failed release's spec had been seen on every changed service. Clocks start when the tool is invoked.`,
      `  Swarm rolls back only the failing services: the others keep the failed release's spec, so "all ${changed} back" never happens.`,
    ],
    rows: [
      vsPeerPlusGate(`first deploy, ${services} services → running (${n(d.gitdock.deploy)})`, median(d.gitdock.deploy), median(d.stack.deploy)),
      vsPeerPlusGate(`update of every service → running (${n(d.gitdock.update)})`, median(d.gitdock.update), median(d.stack.update)),
      row(`  first deploy, until the stack ran it (same poller; reference)`, median(d.gitdock.deployConv), median(d.stack.deploy)),
      row(`  update, until the stack ran it (same poller; reference)`, median(d.gitdock.updateConv), median(d.stack.update)),
      row(`  the gate's own time (monitor window)`, gateMs, undefined),
      row(`  first deploy: the stack ran it → sync exited`, median(d.gitdock.deploy.map((x, i) => x - d.gitdock.deployConv[i])), undefined),
      row(`  update: the stack ran it → sync exited`, median(d.gitdock.update.map((x, i) => x - d.gitdock.updateConv[i])), undefined),
      row(`  ${PEER} CLI returns (--detach; reference)`, undefined, median(d.stack.cli), undefined, { gitdockText: "-" }),
      row(
        `failing release (${failCountText(failingList, changed)}) → every changed service back (${n(f.gitdock.allBack)})`,
        median(f.gitdock.allBack),
        undefined,
        undefined,
        {
          peerText: `never (${badOf(f.stack.onBad)} stay)`,
        },
      ),
      row(`  → the failing services back (${n(f.gitdock.failingBack)})`, median(f.gitdock.failingBack), median(f.stack.failingBack)),
      row(`  first failed task → the failing services back`, median(f.gitdock.fromFailure), median(f.stack.fromFailure)),
      row(`  first failed task → gitdock's rollback decision`, median(f.gitdock.decision), undefined),
      row(`  gitdock's rollback decision → the failing services back`, median(f.gitdock.fromFailure.map((x, i) => x - f.gitdock.decision[i])), undefined),
      row(`services left on the failed release once settled`, undefined, undefined, undefined, {
        gitdockText: badOf(f.gitdock.onBad),
        peerText: badOf(f.stack.onBad),
      }),
    ],
    raw: { deploy: d, release: f, failing: failingList, gateMs, releaseMonitorMs: MONITOR_MS },
  };
}

function failCountText(failing, changed) {
  return `${failing.length} of ${changed} fail`;
}
