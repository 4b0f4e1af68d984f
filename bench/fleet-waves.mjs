/**
 * Issue 17: what waves cost. Four agents (`gitdock run`, each its own host id, state directory,
 * signing key and stack) follow one repository on a smart-HTTP Git server whose post-receive hook
 * sends a signed push webhook for every ref a push updates (the branch and the notes ref), as a
 * forge does; every agent polls once an hour, so nothing here waits for a poll. Each round pushes
 * a release that changes every host's service, alternately with the fleet file (three waves:
 * 1, 2, 1 hosts, soak 0) and without it, and times the push → every host's `applied` line on the
 * commit's note. Also measured from the agents' logs: a wave transition (the previous wave's last
 * healthy outcome → the next wave's pass start, which is the outcome's notes push and its webhook)
 * against a plain push → webhook → pass start round trip, measured on quiet agents.
 */
import { execFileSync } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { startAgent } from "./agent.mjs";
import { fmtMs, git, localRepo, median, removeContainers, removeNetworks, row, sleep, startGitServer, tempDir } from "./lib.mjs";

const P = "gdb-fleet-";
const HOSTS = ["c", "m1", "m2", "l"];
const SECRET = "bench-fleet-webhook-secret";

const HOOK = String.raw`
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
const gitDir = process.argv[2];
const urls = JSON.parse(readFileSync(gitDir + "/bench-webhooks.json", "utf8"));
const input = readFileSync(0, "utf8").trim();
const sends = [];
for (const line of input ? input.split("\n") : []) {
  const [before, after, ref] = line.trim().split(" ");
  const body = JSON.stringify({ ref, before, after, repository: { full_name: "bench/fleet" } });
  const headers = { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": randomUUID(),
    "X-Hub-Signature-256": "sha256=" + createHmac("sha256", ${JSON.stringify(SECRET)}).update(body).digest("hex") };
  for (const url of urls) sends.push(fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(3000) }).catch(() => undefined));
}
await Promise.all(sends);
`;

export async function fleetWaves({ images, cleanup, log, reps }) {
  const dir = await tempDir(cleanup, "fleet");
  const server = await startGitServer(dir);
  cleanup.add("stop the fleet git server", () => server.close());
  const bare = path.join(dir, "fleet.git");
  await git(dir, ["init", "-q", "--bare", "--initial-branch=main", bare]);
  await git(bare, ["config", "http.receivepack", "true"]);
  await writeFile(path.join(bare, "hooks", "bench-webhook.mjs"), HOOK);
  await writeFile(
    path.join(bare, "hooks", "post-receive"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(bare, "hooks", "bench-webhook.mjs")}" "${bare}"\n`,
  );
  await chmod(path.join(bare, "hooks", "post-receive"), 0o755);
  await writeFile(path.join(bare, "bench-webhooks.json"), "[]");
  const work = await tempDir(cleanup, "fleet-work");
  const repo = await localRepo(work);
  await git(work, ["remote", "add", "origin", bare]);

  const keys = {};
  for (const h of HOSTS) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, `key-${h}`)]);
    keys[h] = (await readFile(path.join(dir, `key-${h}.pub`), "utf8")).trim();
  }
  const fleet = [
    "hosts:",
    ...HOSTS.map((h) => `  ${P}${h}: { key: "${keys[h]}" }`),
    "waves:",
    `  - { name: canary, hosts: [${P}c] }`,
    `  - { name: middle, hosts: [${P}m1, ${P}m2] }`,
    `  - { name: last, hosts: [${P}l] }`,
    "",
  ].join("\n");
  const stacks = (rev) =>
    Object.fromEntries(
      HOSTS.map((h) => [
        `hosts/${P}${h}/app/compose.yaml`,
        `name: ${P}${h}-app\nservices:\n  web:\n    image: ${images.web}\n    init: true\n    stop_grace_period: 1s\n    environment:\n      REV: "${rev}"\n    deploy:\n      update_config:\n        monitor: 300ms\n`,
      ]),
    );
  const release = async (rev, withFleet) => {
    const sha = await repo.commit({ ...stacks(rev), "fleet.yaml": withFleet ? fleet : null }, `release ${rev}`);
    const t0 = Date.now();
    await git(work, ["push", "-q", "--force", "origin", "HEAD:refs/heads/main"]);
    return { sha, t0 };
  };
  const appliedEverywhere = (sha) => {
    try {
      const text = execFileSync("git", ["--git-dir", bare, "notes", "--ref=gitdock", "show", sha], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      return HOSTS.every((h) => text.split("\n").some((l) => l.startsWith(`${P}${h} applied `)));
    } catch {
      return false;
    }
  };

  const agents = {};
  cleanup.add("stop the fleet agents", async () => {
    for (const a of Object.values(agents)) await a.stop();
    await removeContainers(P);
    await removeNetworks(P);
  });
  for (const h of HOSTS) {
    const state = await tempDir(cleanup, `fleet-state-${h}`);
    const config = path.join(dir, `config-${h}.yaml`);
    await writeFile(path.join(dir, "webhook-secret"), `${SECRET}\n`, { mode: 0o600 });
    await writeFile(
      config,
      `report:\n  git_notes: true\n  outcome_key_file: ${path.join(dir, `key-${h}`)}\nagent:\n  webhook:\n    secret_file: ${path.join(dir, "webhook-secret")}\n`,
    );
    // prettier-ignore
    agents[h] = startAgent(["--repo", `${server.url}/fleet.git`, "--path", `hosts/${P}${h}`, "--state-dir", state, "--host-id", `${P}${h}`, "--listen", "127.0.0.1:0", "--interval", "1h", "--config", config]);
  }
  const urls = [];
  for (const h of HOSTS) {
    const l = await agents[h].waitLog("its listen address", (x) => typeof x.listen === "string" && x.stage === "agent");
    urls.push(`http://${l.listen}/hooks/git`);
  }
  await writeFile(path.join(bare, "bench-webhooks.json"), JSON.stringify(urls));

  const wait = async (sha, what) => {
    const deadline = Date.now() + 180_000;
    while (!appliedEverywhere(sha)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for every host to apply ${what}`);
      await sleep(25);
    }
    return Date.now();
  };
  await wait((await release("warm-up", false)).sha, "the warm-up release");

  const times = { waves: [], flat: [], transition: [], roundTrip: [] };
  for (let i = 0; i < reps; i++) {
    for (const withFleet of [false, true]) {
      const from = Object.fromEntries(HOSTS.map((h) => [h, agents[h].lines.length]));
      const { sha, t0 } = await release(`${i}-${withFleet ? "waves" : "flat"}`, withFleet);
      const ms = (await wait(sha, `round ${i}`)) - t0;
      times[withFleet ? "waves" : "flat"].push(ms);
      const since = (h) => agents[h].lines.slice(from[h]);
      if (withFleet) times.transition.push(...transitions(since, sha));
      log(`  round ${i + 1}/${reps} ${withFleet ? "three waves" : "no waves   "}: ${fmtMs(ms)}`);
    }
  }
  // One webhook round trip, measured on quiet agents: a push over HTTP (as the agents push their notes) → the canary's pass start its webhook asked for.
  for (let i = 0; i < reps; i++) {
    await sleep(1500);
    const from = agents.c.lines.length;
    const sha = await repo.commit({ [`notes/round-trip-${i}.txt`]: `${i}\n` }, `round trip ${i}`);
    const t0 = Date.now();
    await git(work, ["push", "-q", "--force", `${server.url}/fleet.git`, "HEAD:refs/heads/main"]);
    const start = await agents.c.waitLog("the push's pass", (l) => l.stage === "start" && JSON.stringify(l.detail ?? []).includes(sha.slice(0, 12)), { from });
    times.roundTrip.push(start.time - t0);
    await wait(sha, `round trip ${i}`);
  }
  const flat = median(times.flat);
  const waves = median(times.waves);
  const transition = median(times.transition);
  const roundTrip = median(times.roundTrip);
  const perWave = (waves - flat) / 2;
  return {
    title: "Fleet waves: a release to 4 hosts (issue 17)",
    peer: "without waves",
    columns: ["gitdock", "without waves"],
    rows: [
      // Informational: the waves' rollouts run one after another by design; what waves add beyond that is the next row.
      row("push → every host healthy, 3 waves (1, 2, 1 hosts; soak 0) vs all at once", waves, flat, { text: "(the waves' rollouts run in turn)" }),
      row(
        "a wave transition (last healthy outcome → next wave's pass start) vs push → webhook → pass start",
        transition,
        roundTrip,
        { text: "≤ 2x: one publish + webhook per wave, not a poll (60 s)", ratio: 2 },
        { met: transition <= roundTrip * 2 },
      ),
    ],
    notes: [
      `A wave transition is the previous wave's outcome line published (isomorphic-git over HTTP asks for the notes tip, fetches it when new, pushes the merged notes; the server's hook sends the webhooks while the push runs) and the webhook reaching the next wave; a plain push over HTTP is one request round less, hence the 2x allowance. No poll (60 s) is involved in either.`,
      `Each wave added ${fmtMs(perWave)} over releasing to every host at once (${reps} rounds each); of it, the coordination (the outcome's notes push and its webhook) is the transition row, the rest is the wave's own rollout, which all-at-once runs in parallel.`,
    ],
  };
}

/** From one waves round's logs: for each wave after the first, its earliest pass start minus the previous wave's last healthy outcome. */
function transitions(since, sha) {
  const healthyAt = (h) => since(h).find((l) => l.stage === "outcome" && l.commit === sha && l.outcome === "healthy")?.time;
  const reachedAt = (h) => {
    const lines = since(h);
    const reached = lines.find((l) => l.stage === "fleet" && l.commit === sha && String(l.msg).startsWith("wave "));
    return lines.find((l) => l.stage === "start" && l.pass === reached?.pass)?.time;
  };
  const waves = [["c"], ["m1", "m2"], ["l"]];
  const out = [];
  for (let w = 1; w < waves.length; w++) {
    const prev = Math.max(...waves[w - 1].map(healthyAt));
    const next = Math.min(...waves[w].map(reachedAt));
    if (Number.isFinite(prev) && Number.isFinite(next)) out.push(next - prev);
  }
  return out;
}
