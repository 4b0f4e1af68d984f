/**
 * Issue 2: a no-op sync and a first apply of N services in S stacks, gitdock against
 * `docker-compose up -d` (Compose v1, one invocation per stack, one after another, as a deploy
 * script would run them) on the very same compose.yaml files. Images are local before either tool
 * runs, so "first apply" measures create and start. Every create run starts from an engine with no
 * bench containers or networks.
 */
import path from "node:path";
import { bounded, composeFile, docker, fmtMs, gitdock, judge, localRepo, median, removeContainers, removeNetworks, row, run, tempDir, timed } from "./lib.mjs";

const GITDOCK = "gdb-gitdock-";
const COMPOSE = "gdb-compose-";
const FLOOR = "gdb-floor-";
const HOST_ID = "gdb-bench";

/** `monitor` is gitdock's watch window after a new container passes its checks; Compose ignores it. */
const updateConfig = (monitor) => `    deploy:\n      update_config:\n        monitor: ${monitor}\n`;

export async function syncVsCompose({ stacks, perStack, reps, images, cleanup, log }) {
  const total = stacks * perStack;
  const stackNames = Array.from({ length: stacks }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);
  // Every stack mounts a configuration file committed next to its compose file (issue 11): gitdock
  // mounts it from its store, docker-compose from the checkout, read-only both.
  const mountConfig = '    volumes: ["./app.conf:/etc/app.conf:ro"]\n';
  const files = (monitor) =>
    Object.fromEntries(
      stackNames.flatMap((s) => [
        [`${GITDOCK}${s}/compose.yaml`, composeFile(perStack, images.sleeper, mountConfig + updateConfig(monitor))],
        [`${GITDOCK}${s}/app.conf`, `stack = ${s}\n`],
      ]),
    );

  // The measured repository (monitor 0s) and a reference one with a 1 s monitor window.
  const repo = await localRepo(await tempDir(cleanup, "manifest"));
  await repo.commit(files("0s"));
  const repo1s = await localRepo(await tempDir(cleanup, "manifest-1s"));
  await repo1s.commit(files("1s"));
  const stateRoot = await tempDir(cleanup, "state");
  let stateN = 0;
  const freshState = () => path.join(stateRoot, String(++stateN));
  let state;

  const clean = async () => {
    for (const prefix of [GITDOCK, COMPOSE, FLOOR]) await removeContainers(prefix);
    for (const prefix of [GITDOCK, COMPOSE, FLOOR]) await removeNetworks(prefix);
  };
  cleanup.add("remove the sync-vs-compose containers and networks", clean);

  const gitdockSync = async (repoDir, stateDir) => {
    const r = await gitdock(["sync", "--repo", repoDir, "--state-dir", stateDir, "--host-id", HOST_ID]);
    return r.stdout;
  };
  const composeUp = async () => {
    let out = "";
    for (const s of stackNames) {
      const file = path.join(repo.dir, `${GITDOCK}${s}`, "compose.yaml");
      const r = await run("docker-compose", ["-p", `${COMPOSE}${s}`, "-f", file, "up", "-d"]);
      out += r.stderr + r.stdout;
    }
    return out;
  };
  const expectRunning = async (prefix) => {
    const n = (await docker.listContainers({ filters: { status: ["running"] } })).filter((c) => c.Names[0].startsWith(`/${prefix}`)).length;
    if (n !== total) throw new Error(`expected ${total} running ${prefix}* containers, found ${n}`);
  };

  /** No tool: the same containers (init, one network per stack) created and started straight through the Engine API, 8 at a time. */
  const engineFloor = async () => {
    for (const s of stackNames) await docker.createNetwork({ Name: `${FLOOR}${s}_default`, CheckDuplicate: true });
    const all = stackNames.flatMap((s) => Array.from({ length: perStack }, (_, i) => [s, i + 1]));
    await bounded(all, 8, async ([s, i]) => {
      const c = await docker.createContainer({
        Image: images.sleeper,
        name: `${FLOOR}${s}-svc${String(i).padStart(2, "0")}-1`,
        HostConfig: { Init: true, NetworkMode: `${FLOOR}${s}_default` },
        StopTimeout: 1,
      });
      await c.start();
    });
  };

  const create = { gitdock: [], compose: [] };
  let floor;
  const noop = { gitdock: [], compose: [] };
  let create1s;
  const noopsOf = async (tool, fn, check) => {
    for (let i = 0; i < reps.noop; i++) {
      let out = "";
      noop[tool].push(await timed(async () => (out = await fn())));
      if (!check(out)) throw new Error(`${tool} was not a no-op:\n${out}`);
    }
  };
  try {
    // Alternate the tools; each first apply starts from a clean engine (cleaning is not timed), and
    // is followed by no-op runs of the same tool while only its own containers are up.
    for (let i = 0; i < reps.create; i++) {
      await clean();
      create.compose.push(await timed(composeUp));
      await expectRunning(COMPOSE);
      await noopsOf("compose", composeUp, (out) => !/Recreating|Creating|Starting/.test(out));
      await clean();
      state = freshState();
      create.gitdock.push(await timed(() => gitdockSync(repo.dir, state)));
      await expectRunning(GITDOCK);
      await noopsOf(
        "gitdock",
        () => gitdockSync(repo.dir, state),
        (out) => out.includes("already in sync"),
      );
      log(
        `  round ${i + 1}/${reps.create}: first apply compose ${fmtMs(create.compose.at(-1))}, gitdock ${fmtMs(create.gitdock.at(-1))}; ` +
          `no-op compose ${noop.compose.slice(-reps.noop).map(fmtMs).join(", ")}, gitdock ${noop.gitdock.slice(-reps.noop).map(fmtMs).join(", ")}`,
      );
    }
    // Reference: the same first apply with a 1 s monitor window on every new container.
    await clean();
    create1s = await timed(() => gitdockSync(repo1s.dir, freshState()));
    await expectRunning(GITDOCK);
    log(`  first apply with monitor 1s: gitdock ${fmtMs(create1s)}`);

    // Reference: what the engine itself takes for the same containers, with no tool in between.
    await clean();
    floor = await timed(engineFloor);
    await expectRunning(FLOOR);
    log(`  engine floor (no tool): ${fmtMs(floor)}`);
  } finally {
    await clean();
  }

  const compose1 = median(create.compose);
  return {
    title: `Sync vs docker-compose up -d: ${total} services in ${stacks} stacks (issue 2)`,
    peer: "docker-compose",
    notes: [
      `Compose v1 runs once per stack, one stack after another (${stacks} invocations); gitdock syncs all stacks in one run.`,
      "Identical compose.yaml files, each service mounting ./app.conf committed next to its stack's file (issue 11: gitdock mounts it from its store);",
      "images already local; each first apply starts from no bench containers or networks;",
      "the no-op runs follow each first apply, with only that tool's containers up.",
      'gitdock gates every new container; the measured first apply uses deploy.update_config.monitor: 0s (gate = "running"),',
      "which Compose ignores. The monitor-1s row shows what a watch window costs: about ceil(services / concurrency 8) x window.",
      "The no-tool row creates and starts the same containers straight through the Engine API: the floor any tool pays on this engine.",
    ],
    rows: [
      judge(row(`no-op sync (median of ${reps.noop * reps.create})`, median(noop.gitdock), median(noop.compose), { ratio: 0.1, text: "<= 0.1x" })),
      judge(row(`first apply, monitor 0s (median of ${reps.create})`, median(create.gitdock), compose1, { ratio: 0.5, text: "<= 0.5x" })),
      row("first apply, monitor 1s (1 run, reference)", create1s, compose1, undefined),
      row("first apply, no tool: Engine API, 8 at a time (1 run)", floor, compose1, undefined),
    ],
    raw: { create, noop, create1s, engineFloor: floor },
  };
}
