#!/usr/bin/env node
/**
 * gitdock's benchmark: `npm run bench` (full), `BENCH_QUICK=1 npm run bench` (fewer repetitions
 * and services), `node bench/run.mjs --smoke` (every scenario at tiny scale; exits 0 when all ran).
 * Prints gitdock's medians next to the peer tools' from the same run, their ratios and the targets,
 * and writes them to bench/results/latest.json (smoke.json; with --only, a -<scenario> suffix). Needs the engine, the registry
 * on 127.0.0.1:5000, docker-compose and a built dist/ (see docs/benchmarks.md).
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { agentScenario } from "./agent.mjs";
import { fleetWaves } from "./fleet-waves.mjs";
import { fleetStatusScenario } from "./fleet-status.mjs";
import { imageSignatures } from "./image-signatures.mjs";
import { CLI, Cleanup, REGISTRY, ROOT, buildImages, docker, fmtMs, git, gitdock, printTable, run, setCli, sweep } from "./lib.mjs";
import { rollbackVsSwarm } from "./rollback.mjs";
import { rollbackWidth } from "./rollback-width.mjs";
import { stateDirScenario } from "./state-dir.mjs";
import { swarmScenario } from "./swarm.mjs";
import { syncVsCompose } from "./sync-vs-compose.mjs";

const smoke = process.argv.includes("--smoke");
const quick = !smoke && process.env.BENCH_QUICK === "1";
const mode = smoke ? "smoke" : quick ? "quick" : "full";
/** `--only <scenario>` runs one scenario (sync-vs-compose, rollback-vs-swarm, rollback-width, agent, image-signatures, state-dir, fleet-waves, fleet-status, swarm). */
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;

const SCALE = {
  smoke: {
    stacks: 2,
    perStack: 2,
    create: 1,
    noop: 1,
    rollback: 1,
    histories: [10, 100],
    pollReps: 1,
    idleMs: 3_000,
    agentServices: 4,
    webhookReps: 1,
    widthReplicas: 2,
    widthReps: 1,
    statePolls: 30,
    fleetHosts: 20,
    fleetCommits: 100,
    fleetReps: 1,
    swarmServices: 4,
    swarmChanged: 4,
    swarmFailing: 1,
    swarmReps: 1,
  },
  quick: {
    stacks: 6,
    perStack: 10,
    create: 2,
    noop: 2,
    rollback: 3,
    histories: [100, 10_000],
    pollReps: 3,
    idleMs: 15_000,
    agentServices: 50,
    webhookReps: 3,
    widthReplicas: 8,
    widthReps: 2,
    statePolls: 400,
    fleetHosts: 200,
    fleetCommits: 1_000,
    fleetReps: 3,
    swarmServices: 20,
    swarmChanged: 10,
    swarmFailing: 2,
    swarmReps: 1,
  },
  full: {
    stacks: 20,
    perStack: 10,
    create: 2,
    noop: 3,
    rollback: 5,
    histories: [100, 10_000],
    pollReps: 5,
    idleMs: 60_000,
    agentServices: 50,
    webhookReps: 5,
    widthReplicas: 8,
    widthReps: 3,
    statePolls: 1_000,
    fleetHosts: 200,
    fleetCommits: 1_000,
    fleetReps: 5,
    swarmServices: 20,
    swarmChanged: 10,
    swarmFailing: 2,
    swarmReps: 3,
  },
}[mode];

const log = (msg) => console.log(msg);

const SCENARIOS = [
  {
    name: "sync-vs-compose",
    title: "Sync vs docker-compose up -d (issue 2)",
    run: (ctx) => syncVsCompose({ ...ctx, stacks: SCALE.stacks, perStack: SCALE.perStack, reps: { create: SCALE.create, noop: SCALE.noop } }),
  },
  { name: "rollback-vs-swarm", title: "Rollback vs Docker Swarm (issue 3)", run: (ctx) => rollbackVsSwarm({ ...ctx, reps: SCALE.rollback }) },
  {
    name: "rollback-width",
    title: "Rollback at the rollout's width (issue 13)",
    run: (ctx) => rollbackWidth({ ...ctx, replicas: SCALE.widthReplicas, reps: SCALE.widthReps }),
  },
  {
    name: "image-signatures",
    title: "Image signatures (issue 15)",
    run: (ctx) => imageSignatures({ ...ctx, stacks: SCALE.stacks, perStack: SCALE.perStack, reps: { create: SCALE.create, noop: SCALE.noop } }),
  },
  {
    name: "agent",
    title: "Agent (issue 4)",
    run: (ctx) =>
      agentScenario({
        ...ctx,
        histories: SCALE.histories,
        reps: SCALE.pollReps,
        idleMs: SCALE.idleMs,
        services: SCALE.agentServices,
        webhookReps: SCALE.webhookReps,
      }),
  },
  { name: "state-dir", title: "State directory size (issue 13)", run: (ctx) => stateDirScenario({ ...ctx, polls: SCALE.statePolls }) },
  { name: "fleet-waves", title: "Fleet waves (issue 17)", run: (ctx) => fleetWaves({ ...ctx, reps: SCALE.fleetReps }) },
  {
    name: "fleet-status",
    title: "Fleet status over a long notes history (issue 17)",
    run: (ctx) => fleetStatusScenario({ ...ctx, hosts: SCALE.fleetHosts, commits: SCALE.fleetCommits, reps: SCALE.fleetReps }),
  },
  {
    name: "swarm",
    title: "Swarm engine vs docker stack deploy (issue 16)",
    run: (ctx) => swarmScenario({ ...ctx, services: SCALE.swarmServices, changed: SCALE.swarmChanged, failing: SCALE.swarmFailing, reps: SCALE.swarmReps }),
  },
];

/** Cleanups of the run and of the scenario in progress, so Ctrl-C still removes what they created. */
const runCleanup = new Cleanup();
let active;
/**
 * The cleanup a signal started. The scenario it interrupts fails meanwhile and the run goes on to
 * its end; that end waits for this cleanup (a Swarm cluster's teardown takes seconds) before the
 * process exits, and no further scenario starts.
 */
let interrupted;
const cleanAll = async () => {
  await active?.run();
  await runCleanup.run();
};
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    console.error(`\n${sig}: cleaning up`);
    interrupted ??= cleanAll();
    await interrupted;
    process.exit(130);
  });
}
process.on("uncaughtException", async (err) => {
  console.error("bench: uncaught exception, cleaning up:", err);
  await (interrupted ?? cleanAll());
  process.exit(1);
});

async function preflight() {
  const problems = [];
  if (!existsSync(CLI)) problems.push(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` (npm run bench does)`);
  const engine = await docker.version().catch((err) => problems.push(`no Docker Engine at /var/run/docker.sock: ${err.message}`));
  const reg = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  if (!reg?.ok) problems.push(`no registry at ${REGISTRY} (see docs/benchmarks.md)`);
  const compose = await run("docker-compose", ["version", "--short"], { allowFail: true }).catch(() => undefined);
  if (compose?.code !== 0) problems.push("docker-compose (Debian's Compose v1 package) is not installed");
  if (problems.length) {
    console.error(`bench: cannot run:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  return { engine: engine.Version, compose: compose.stdout.trim() };
}

/**
 * Runs a private copy of dist/, so the whole run measures one build even when someone rebuilds the
 * checkout meanwhile. Returns the build's commit (with "+dirty" for uncommitted changes).
 */
async function snapshotDist(cleanup) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdb-dist-"));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await cp(path.join(ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), '{ "type": "module" }\n');
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  setCli(path.join(dir, "dist", "cli", "main.js"));
  await gitdock(["--version"]);
  const head = (await git(ROOT, ["rev-parse", "--short=12", "HEAD"], { allowFail: true })).stdout.trim() || "unknown";
  const dirty = (await git(ROOT, ["status", "--porcelain", "--untracked-files=no", "--", "src"], { allowFail: true })).stdout.trim();
  return dirty ? `${head}+dirty` : head;
}

async function main() {
  const versions = await preflight();
  try {
    return await benchmark(versions);
  } finally {
    await runCleanup.run();
  }
}

async function benchmark(versions) {
  await sweep(); // first: it also removes gdb-* temp dirs, which the snapshot below is one of
  const build = await snapshotDist(runCleanup);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAvg1m: os.loadavg()[0],
    node: process.version,
    engine: versions.engine,
    compose: versions.compose,
  };
  const started = new Date();
  log(`gitdock bench — ${mode} — ${started.toISOString()}`);
  log(`gitdock build: ${build}`);
  log(
    `machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}, Engine ${machine.engine}, docker-compose ${machine.compose}; load average ${machine.loadAvg1m.toFixed(2)} at start`,
  );
  log(
    `scale: ${SCALE.stacks * SCALE.perStack} services in ${SCALE.stacks} stacks; first-apply rounds ${SCALE.create} (each followed by ${SCALE.noop} no-ops), ` +
      `rollback ${SCALE.rollback}, poll ${SCALE.pollReps}, webhook ${SCALE.webhookReps}; agent idle ${SCALE.idleMs / 1000} s with ${SCALE.agentServices} services; ` +
      `state directory after ${SCALE.statePolls} polls; Swarm ${SCALE.swarmServices} services (${SCALE.swarmFailing} of ${SCALE.swarmChanged} failing), ${SCALE.swarmReps} round(s)`,
  );

  const images = await buildImages();
  const results = [];
  for (const s of SCENARIOS.filter((x) => !only || x.name === only)) {
    if (interrupted) break;
    log(`\n# ${s.title}`);
    const cleanup = new Cleanup();
    active = cleanup;
    const t0 = Date.now();
    try {
      results.push({ name: s.name, ...(await s.run({ images, cleanup, log })) });
    } catch (err) {
      console.error(`  ${s.name} FAILED: ${err.stack ?? err}`);
      results.push({ name: s.name, title: s.title, error: String(err.message ?? err) });
    } finally {
      await cleanup.run();
      active = undefined;
    }
    log(`  (${s.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s; load average now ${os.loadavg()[0].toFixed(2)})`);
  }

  for (const r of results) {
    if (r.error) {
      console.log(`\n## ${r.title}\n\nFAILED: ${r.error}`);
      continue;
    }
    printTable(r.title, r.rows, r.columns ?? ["gitdock", r.peer]);
    if (r.notes?.length) console.log(`\n${r.notes.map((n) => `  ${n}`).join("\n")}`);
  }

  log(`\n## Summary (${mode}, ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)\n`);
  for (const r of results) {
    if (r.error) log(`  FAILED     ${r.title}: ${r.error.split("\n")[0]}`);
    for (const row of r.rows ?? []) {
      if (!row.target) continue;
      const verdict = row.notMeasured ? "NOT RUN " : row.met === undefined ? "n/a     " : row.met ? "met     " : "MISSED  ";
      const value = row.target.ratio !== undefined && row.ratio !== undefined ? `${row.ratio.toFixed(3)}x` : (row.gitdockText ?? fmtMs(row.gitdockMs));
      log(`  ${verdict}  ${row.name}: ${value} (target ${row.target.text})`);
    }
  }
  if (smoke) log("\n(smoke run: tiny scale, the figures mean nothing)");

  const out = path.join(ROOT, "bench", "results", `${smoke ? "smoke" : "latest"}${only ? `-${only}` : ""}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ mode, date: started.toISOString(), build, machine, scale: SCALE, results }, null, 2)}\n`);
  log(`\nresults: ${path.relative(process.cwd(), out)}`);
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  async (code) => {
    if (interrupted) await interrupted;
    process.exit(interrupted ? 130 : code);
  },
  async (err) => {
    console.error(err);
    await interrupted;
    process.exit(1);
  },
);
