/**
 * Issue 3: a release whose container turns unhealthy, and how long until the previous version
 * serves again — gitdock (previous container retained, so rollback is rename + start) against
 * Docker Swarm (`docker service update --update-failure-action rollback`). Both run the same
 * images with the same image HEALTHCHECK (every 1 s, 2 retries) and stop-first order, publish no
 * ports (Swarm's host-mode ports make a restarted bad task block the port; its ingress mesh does
 * not answer on 127.0.0.1 here), and "serving" is a GET on the container's own bridge address
 * answering with the good image's body.
 *
 * Two clocks per run, the same for both tools:
 *  - from the engine's `health_status: unhealthy` event for the bad container;
 *  - from the tool's own failure decision: gitdock's first log line with `stage: "rollback"`,
 *    Swarm's failed task's status timestamp.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  GOOD_BODY,
  WEB_PORT,
  docker,
  gitdock,
  httpBody,
  judge,
  localRepo,
  median,
  removeContainers,
  removeNetworks,
  row,
  run,
  sleep,
  tempDir,
  waitFor,
  watchEvents,
} from "./lib.mjs";

const STACK = "gdb-rollback";
const SERVICE = "gdb-swarm-web";
const HOST_ID = "gdb-bench-rollback";

/** `http://<ip>:8080/` of a container, on the first network that gave it an address. */
async function containerUrl(idOrName) {
  const info = await docker.getContainer(idOrName).inspect();
  const ip = Object.values(info.NetworkSettings.Networks ?? {})
    .map((n) => n.IPAddress)
    .find(Boolean);
  if (!ip) throw new Error(`container ${idOrName} has no IP address`);
  return `http://${ip}:${WEB_PORT}/`;
}

/**
 * One failing release observed while `act` runs: when the engine reported the bad container
 * unhealthy, when a container of the good image started after that, and when that container first
 * answered with the good body (its address is read on its start event, then polled every 5 ms).
 */
async function observeFailure({ goodImage, eventFilters, act, timeoutMs = 120_000 }) {
  const seen = { unhealthy: undefined, restarted: undefined, goodAgain: undefined };
  let url;
  const stopEvents = await watchEvents(eventFilters, (e) => {
    if (e.Action === "health_status: unhealthy" && seen.unhealthy === undefined) seen.unhealthy = e.timeNano / 1e6;
    if (e.Action === "start" && e.Actor?.Attributes?.image === goodImage && seen.unhealthy !== undefined && seen.restarted === undefined) {
      seen.restarted = e.timeNano / 1e6;
      containerUrl(e.id).then(
        (u) => (url = u),
        () => {},
      );
    }
  });
  let stopped = false;
  const poll = (async () => {
    while (!stopped && seen.goodAgain === undefined) {
      if (url && (await httpBody(url, 250)) === GOOD_BODY) seen.goodAgain = Date.now();
      else await sleep(5);
    }
  })();
  try {
    const extra = await act(seen);
    await waitFor("the previous version to serve again", () => seen.goodAgain, { timeoutMs, intervalMs: 20 });
    return { ...seen, ...extra };
  } finally {
    stopped = true;
    await poll;
    stopEvents();
  }
}

/** Waits until the container found by `find` answers with the good body. */
async function waitServing(what, find) {
  await waitFor(
    what,
    async () => {
      const id = await find();
      return id && (await httpBody(await containerUrl(id).catch(() => "http://0.0.0.0:1/"), 300)) === GOOD_BODY;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

async function gitdockRuns({ reps, images, cleanup, log }) {
  const repo = await localRepo(await tempDir(cleanup, "rollback-manifest"));
  const stateDir = path.join(await tempDir(cleanup, "rollback-state"), "state");
  const compose = (image) =>
    [
      "services:",
      "  web:",
      `    image: ${image}`,
      "    init: true",
      "    stop_grace_period: 1s",
      "    deploy:",
      "      update_config:",
      "        monitor: 1s",
      "",
    ].join("\n");
  const file = `${STACK}/compose.yaml`;
  const sync = (opts) => gitdock(["sync", "--repo", repo.dir, "--state-dir", stateDir, "--host-id", HOST_ID], opts);
  cleanup.add("remove the gitdock rollback containers", async () => {
    await removeContainers(`${STACK}-`);
    await removeNetworks(`${STACK}_`);
  });

  await repo.commit({ [file]: compose(images.web) }, "good");
  await sync();
  await waitServing("gitdock's good release to serve", () => `${STACK}-web-1`);

  const runs = [];
  for (let i = 0; i < reps; i++) {
    await repo.commit({ [file]: compose(images["web-bad"]) }, `bad ${i + 1}`);
    const r = await observeFailure({
      goodImage: images.web,
      eventFilters: { type: ["container"], label: [`com.docker.compose.project=${STACK}`] },
      act: async () => {
        let gateFailed;
        const res = await sync({
          allowFail: true,
          onStderrLine: (line) => {
            if (gateFailed !== undefined || !line.includes('"stage":"rollback"')) return;
            gateFailed = JSON.parse(line).time;
          },
        });
        if (res.code !== 3) throw new Error(`gitdock sync of a failing release exited ${res.code}, expected 3:\n${res.stdout}${res.stderr.slice(-2000)}`);
        return { decided: gateFailed };
      },
    });
    const journal = (await readFile(path.join(stateDir, "journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    r.journalMs = journal.filter((e) => e.action === "rollback" && e.durationMs !== undefined).at(-1)?.durationMs;
    runs.push(r);
    log(
      `  gitdock rollback ${i + 1}/${reps}: unhealthy→serving ${(r.goodAgain - r.unhealthy).toFixed(0)} ms, gate failure→serving ${(r.goodAgain - r.decided).toFixed(0)} ms, journal ${r.journalMs} ms`,
    );
  }
  return runs;
}

/** Initializes a swarm of its own (left again by `cleanup`); a reason instead when the engine is already in one. */
async function initSwarm(cleanup) {
  const info = await docker.info();
  if (info.Swarm?.LocalNodeState !== "inactive") {
    return `this engine's swarm state is "${info.Swarm?.LocalNodeState}", not inactive; the bench only uses a swarm it creates itself`;
  }
  const hadGwBridge = (await docker.listNetworks()).some((n) => n.Name === "docker_gwbridge");
  cleanup.add("leave the swarm", async () => {
    await run("docker", ["swarm", "leave", "--force"], { allowFail: true });
    if (!hadGwBridge) await run("docker", ["network", "rm", "docker_gwbridge"], { allowFail: true });
  });
  await run("docker", ["swarm", "init", "--advertise-addr", "127.0.0.1"]);
  return undefined;
}

/** `reps` failing updates of a Swarm service created with `extraFlags`, each rolled back by Swarm. */
async function swarmRuns({ name, extraFlags, reps, images, cleanup, log }) {
  const removeService = async () => {
    await run("docker", ["service", "rm", name], { allowFail: true });
    await waitFor("the swarm service's containers to go", async () => (await removeContainers(`${name}.`)) === 0, { timeoutMs: 30_000, intervalMs: 500 });
  };
  cleanup.add(`remove the swarm service ${name}`, removeService);
  const failureFlags = ["--update-failure-action", "rollback", "--update-monitor", "5s"];
  await run("docker", [
    "service",
    "create",
    "--detach",
    "--name",
    name,
    "--init",
    "--stop-grace-period",
    "1s",
    ...failureFlags,
    "--rollback-monitor",
    "1s",
    ...extraFlags,
    images.web,
  ]);
  const label = `com.docker.swarm.service.name=${name}`;
  const running = async () => (await docker.listContainers({ filters: { label: [label], status: ["running"] } }))[0]?.Id;
  await waitServing("the swarm service to serve", running);

  const runs = [];
  for (let i = 0; i < reps; i++) {
    const since = Date.now();
    const r = await observeFailure({
      goodImage: images.web,
      eventFilters: { type: ["container"], label: [label] },
      act: async () => {
        await run("docker", ["service", "update", "--detach", "--image", images["web-bad"], ...failureFlags, name]);
        return {};
      },
    });
    // The failed task's own timestamp is when Swarm decided the task had failed: the first bad-image
    // task that failed after this release's "unhealthy" (earlier ones are the last release's leftovers).
    const tasks = await docker.listTasks({ filters: { service: [name] } });
    const failed = tasks
      .filter((t) => t.Status?.State === "failed" && t.Spec?.ContainerSpec?.Image === images["web-bad"])
      .map((t) => Date.parse(t.Status.Timestamp))
      .filter((at) => at >= since && at >= r.unhealthy - 100);
    r.decided = failed.length ? Math.min(...failed) : undefined;
    await waitFor(
      "the swarm rollback to complete",
      async () => {
        const [svc] = await docker.listServices({ filters: { name: [name] } });
        return svc?.UpdateStatus?.State === "rollback_completed";
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    runs.push(r);
    log(
      `  swarm${extraFlags.length ? ` (${extraFlags.join(" ")})` : ""} rollback ${i + 1}/${reps}: unhealthy→serving ${(r.goodAgain - r.unhealthy).toFixed(0)} ms, task failed→serving ${r.decided ? (r.goodAgain - r.decided).toFixed(0) : "?"} ms`,
    );
    await sleep(500);
  }
  await removeService();
  return runs;
}

export async function rollbackVsSwarm({ reps, images, cleanup, log }) {
  const g = await gitdockRuns({ reps, images, cleanup, log });
  const skipped = await initSwarm(cleanup);
  const swarm = skipped ? [] : await swarmRuns({ name: SERVICE, extraFlags: [], reps, images, cleanup, log });
  // Swarm's restart policy waits --restart-delay (default 5s) before it replaces a failed task, and
  // the rollback's task often waits for it too: the same release with that delay at 0.
  const swarmNoDelay = skipped ? [] : await swarmRuns({ name: `${SERVICE}-nodelay`, extraFlags: ["--restart-delay", "0s"], reps, images, cleanup, log });
  const med = (runs, from, to = "goodAgain") => median(runs.filter((r) => r[from] !== undefined && r[to] !== undefined).map((r) => r[to] - r[from]));
  const peerNote = skipped ? [`Swarm not measured: ${skipped}`] : [];
  return {
    title: "Failed release → previous version serving again: gitdock vs Docker Swarm (issue 3)",
    peer: "swarm",
    notes: [
      "Same images and image HEALTHCHECK (interval 1s, retries 2), stop-first, no published ports; serving = GET on the container's bridge IP answers with the good body (polled every 5 ms from the container's start event).",
      "gitdock retains the previous container (stopped, renamed): its rollback swaps the names, kills the new one and starts the kept one at the new one's death event (removing the new one comes after). Swarm starts a new task from the previous spec.",
      '"decision" = gitdock\'s first log line with stage "rollback" / Swarm\'s failed task\'s status timestamp.',
      "Swarm runs with its defaults (restart-delay 5s: its replacement task often waits for it); the last row sets --restart-delay 0s.",
      ...peerNote,
    ],
    rows: [
      judge(row(`failure decision → serving (median of ${reps})`, med(g, "decided"), med(swarm, "decided"), { ms: 1000, text: "gitdock < 1 s" })),
      // Issue 12's target: at most half of Swarm's time on this row.
      judge(row(`engine "unhealthy" event → serving (median of ${reps})`, med(g, "unhealthy"), med(swarm, "unhealthy"), { ratio: 0.5, text: "<= 0.5x" })),
      row('  of which: "unhealthy" → failure decision', med(g, "unhealthy", "decided"), med(swarm, "unhealthy", "decided"), undefined),
      row("  of which: decision → previous version's container started", med(g, "decided", "restarted"), med(swarm, "decided", "restarted"), undefined),
      row("  of which: container started → serving", med(g, "restarted"), med(swarm, "restarted"), undefined),
      row(`failure decision → serving, Swarm with --restart-delay 0s (median of ${reps})`, med(g, "decided"), med(swarmNoDelay, "decided"), undefined),
      row("gitdock journal rollback durationMs (median)", median(g.map((r) => r.journalMs).filter((x) => x !== undefined)), undefined, undefined),
    ],
    raw: { gitdock: g, swarm, swarmNoDelay, skipped },
  };
}
