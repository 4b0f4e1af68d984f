/**
 * Issue 13: a rollback at the rollout's width. A release replaces 24 containers 8 at a time (three
 * services of 8 replicas, each depending on the one before, `parallelism: 8`); the same shape with a
 * failing last service is rolled back. Compared: the good rollout's own replace time (its first
 * retired container → all 24 new containers serving) and the rollback's (the gate's failure → all
 * 24 kept containers serving again). Target: the rollback at most 1.5x the rollout.
 */
import path from "node:path";
import { GOOD_BODY, WEB_PORT, docker, gitdock, httpBody, judge, localRepo, median, removeContainers, removeNetworks, row, sleep, tempDir } from "./lib.mjs";

const STACK = "gdb-width";
const HOST_ID = "gdb-bench-width";

function compose({ replicas, release, badImage, goodImage }) {
  const service = (name, image, dependsOn) =>
    [
      `  ${name}:`,
      `    image: ${image}`,
      "    init: true",
      "    stop_grace_period: 1s",
      `    environment: { RELEASE: "${release}" }`,
      ...(dependsOn ? [`    depends_on: [${dependsOn}]`] : []),
      "    deploy:",
      `      replicas: ${replicas}`,
      "      update_config:",
      `        parallelism: ${replicas}`,
      "        monitor: 300ms",
      "      rollback_config:",
      "        monitor: 300ms",
    ].join("\n");
  return ["services:", service("a", goodImage), service("b", goodImage, "a"), service("c", badImage ?? goodImage, "b"), ""].join("\n");
}

/** Milliseconds (epoch) when every container in `names` runs `release` and answers with the good body. */
async function allServing(names, release) {
  const urls = new Map();
  for (;;) {
    for (const name of names) {
      if (urls.has(name)) continue;
      const info = await docker
        .getContainer(name)
        .inspect()
        .catch(() => undefined);
      const ours = info?.State?.Running && (info.Config?.Env ?? []).includes(`RELEASE=${release}`);
      const ip = ours
        ? Object.values(info.NetworkSettings.Networks ?? {})
            .map((n) => n.IPAddress)
            .find(Boolean)
        : undefined;
      if (ip && (await httpBody(`http://${ip}:${WEB_PORT}/`, 250)) === GOOD_BODY) urls.set(name, Date.now());
    }
    if (urls.size === names.length) return Math.max(...urls.values());
    await sleep(10);
  }
}

/** A sync running, with its log lines (pino JSON, each with its `time`) as they come. */
function syncLogged(args) {
  const lines = [];
  const done = gitdock(args, { allowFail: true, onStderrLine: (line) => line.startsWith("{") && lines.push(JSON.parse(line)) });
  return { lines, done };
}

/** The time of the first log line matching `test`, waiting for it while the sync runs. */
async function lineTime(sync, test) {
  let finished = false;
  sync.done.then(() => (finished = true));
  for (;;) {
    const line = sync.lines.find(test);
    if (line) return line.time;
    if (finished) return undefined;
    await sleep(5);
  }
}

export async function rollbackWidth({ replicas, reps, images, cleanup, log }) {
  const repo = await localRepo(await tempDir(cleanup, "width-manifest"));
  const stateDir = path.join(await tempDir(cleanup, "width-state"), "state");
  const file = `${STACK}/compose.yaml`;
  const args = ["sync", "--repo", repo.dir, "--state-dir", stateDir, "--host-id", HOST_ID];
  cleanup.add("remove the width bench containers", async () => {
    await removeContainers(`${STACK}-`);
    await removeNetworks(`${STACK}_`);
  });
  const names = ["a", "b", "c"].flatMap((s) => Array.from({ length: replicas }, (_, i) => `${STACK}-${s}-${i + 1}`));
  let release = 0;
  await repo.commit({ [file]: compose({ replicas, release: ++release, goodImage: images.web }) }, "first");
  await gitdock(args);

  const rollouts = [];
  const rollbacks = [];
  for (let i = 0; i < reps; i++) {
    await repo.commit({ [file]: compose({ replicas, release: ++release, goodImage: images.web }) }, `good ${release}`);
    const good = syncLogged(args);
    const retired = await lineTime(good, (l) => l.step === "retired");
    const served = await allServing(names, release);
    const g = await good.done;
    if (g.code !== 0 || retired === undefined) throw new Error(`the good release exited ${g.code}: ${g.stderr.slice(-1500)}`);
    rollouts.push(served - retired);

    const kept = release;
    await repo.commit({ [file]: compose({ replicas, release: ++release, goodImage: images.web, badImage: images["web-bad"] }) }, `bad ${release}`);
    const bad = syncLogged(args);
    const failedAt = await lineTime(bad, (l) => l.stage === "rollback" && String(l.msg ?? "").startsWith("rolling back"));
    const restoredAt = await allServing(names, kept);
    const b = await bad.done;
    if (b.code !== 3 || failedAt === undefined) throw new Error(`the failing release exited ${b.code}, expected 3: ${b.stderr.slice(-1500)}`);
    rollbacks.push(restoredAt - failedAt);
    log(`  24-container release ${i + 1}/${reps}: rollout ${rollouts.at(-1)} ms, rollback ${rollbacks.at(-1)} ms`);
  }
  const rollout = median(rollouts);
  const rollback = median(rollbacks);
  return {
    title: `Rollback at the rollout's width: ${3 * replicas} containers, ${replicas} at a time (issue 13)`,
    peer: "gitdock's own rollout",
    notes: [
      `Three services of ${replicas} replicas (b depends on a, c on b), parallelism ${replicas}; the failing release's c turns unhealthy, so every container is rolled back.`,
      "rollout = its first retired container → every new container serving; rollback = gitdock's \"rolling back\" log line → every kept container serving again (GET on each container's bridge IP).",
    ],
    rows: [judge(row(`rollback vs the rollout's replace time (median of ${reps})`, rollback, rollout, { ratio: 1.5, text: "≤ 1.5x" }))],
    raw: { rollouts, rollbacks },
  };
}
