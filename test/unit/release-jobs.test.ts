/**
 * Release jobs and one-shots, the pure parts: the manifest keys and their rules, which jobs a plan
 * runs (plan-jobs.ts), the order they run in and what is created before them (job-order.ts), and
 * the completion gate's decision (completion-decision.ts).
 */
import { describe, expect, it } from "vitest";
import { createsBeforeJobs, jobsInOrder } from "../../src/apply/job-order.js";
import { decideCompletion, type GateSample } from "../../src/health/index.js";
import { makePlan } from "../../src/plan/plan.js";
import { formatPlanText } from "../../src/plan/format-plan.js";
import type { ContainerAction, HostSnapshot, JobRun, ObservedContainer } from "../../src/plan/types.js";
import { FILE, IMAGE, problems, summary, loadOrFail } from "../fixtures/manifest/helpers.js";
import { hostMatching, resolve, runningAs, service, stack, svcOf } from "./helpers/fake-state.js";

const job = (name: string, phase: "pre-deploy" | "post-deploy", dependsOn: string[] = []) => {
  const s = service(name, { dependsOn });
  s.gitdock = { ...s.gitdock, job: phase, jobTimeoutMs: 600_000 };
  return s;
};

describe("manifest: x-gitdock.job, job_timeout, writable_paths and one-shots", () => {
  const file = (services: string) => `services:\n${services}`;
  const svc = (name: string, body = "") => `  ${name}:\n    image: ${IMAGE}\n${body}`;

  it("normalizes a job with its default timeout, and one with its own", () => {
    const [st] = loadOrFail([
      {
        path: FILE,
        content: file(
          `${svc("migrate", "    x-gitdock: {job: pre-deploy}\n")}${svc("smoke", "    x-gitdock: {job: post-deploy, job_timeout: 90s}\n")}${svc("web")}`,
        ),
      },
    ]);
    const byName = Object.fromEntries(st!.services.map((s) => [s.name, s.gitdock]));
    expect(byName["migrate"]).toEqual({ probe: undefined, healthTimeoutMs: 120_000, job: "pre-deploy", jobTimeoutMs: 600_000 });
    expect(byName["smoke"]).toEqual({ probe: undefined, healthTimeoutMs: 120_000, job: "post-deploy", jobTimeoutMs: 90_000 });
    // Services without the keys look exactly as before.
    expect(byName["web"]).toEqual({ probe: undefined, healthTimeoutMs: 120_000 });
  });

  it("marks the services others wait for with service_completed_successfully as one-shots, and only those", () => {
    const [st] = loadOrFail([
      {
        path: FILE,
        content: file(
          `${svc("init")}${svc("db")}${svc("web", "    depends_on:\n      init: {condition: service_completed_successfully}\n      db: {condition: service_healthy}\n")}`,
        ),
      },
    ]);
    expect(st!.services.filter((s) => s.oneShot).map((s) => s.name)).toEqual(["init"]);
    expect(
      Object.hasOwn(
        st!.services.find((s) => s.name === "db")!,
        "oneShot",
      ),
    ).toBe(false);
  });

  it("keeps writable paths sorted, once, without a trailing slash", () => {
    const [st] = loadOrFail([{ path: FILE, content: file(svc("web", "    x-gitdock:\n      writable_paths: [/var/run/, /var/cache/nginx, /var/run]\n")) }]);
    expect(st!.services[0]?.gitdock.writablePaths).toEqual(["/var/cache/nginx", "/var/run"]);
  });

  it("refuses what a job or a one-shot cannot be, each at its key", () => {
    const found = problems(
      file(
        [
          svc("migrate", "    restart: always\n    deploy: {replicas: 2}\n    x-gitdock:\n      job: pre-deploy\n      probe: {tcp: {port: 80}}\n"),
          svc("smoke", "    x-gitdock: {job: post-deploy}\n"),
          svc("init", "    restart: unless-stopped\n"),
          svc(
            "web",
            "    depends_on:\n      init: {condition: service_completed_successfully}\n      smoke: {condition: service_started}\n    x-gitdock: {job_timeout: 5m, writable_paths: [var/cache]}\n",
          ),
        ].join(""),
      ),
    );
    expect(summary(found).sort()).toEqual([
      expect.stringMatching(/^services\.init\.restart: unless-stopped would start a one-shot .* so it never completes/),
      expect.stringMatching(/^services\.migrate\.deploy\.replicas: a job runs one container per release, not 2/),
      expect.stringMatching(/^services\.migrate\.restart: always would start a pre-deploy job again/),
      expect.stringMatching(/^services\.migrate\.x-gitdock\.probe: a job has no health probe/),
      expect.stringMatching(/^services\.web\.depends_on: web depends on smoke, a post-deploy job, which runs only after every other service/),
      expect.stringMatching(/^services\.web\.x-gitdock\.job_timeout: applies to release jobs only/),
      expect.stringMatching(/^services\.web\.x-gitdock\.writable_paths\[0\]: expected an absolute path/),
    ]);
    expect(found.every((p) => p.file === FILE && p.line > 1)).toBe(true);
  });

  it("accepts a job that depends on another job and a post-deploy job on a service", () => {
    expect(() =>
      loadOrFail([
        {
          path: FILE,
          content: file(
            `${svc("db")}${svc("schema", "    depends_on: [db]\n    x-gitdock: {job: pre-deploy}\n")}${svc("seed", "    depends_on: [schema]\n    x-gitdock: {job: pre-deploy}\n")}${svc("smoke", "    depends_on: [db, seed]\n    x-gitdock: {job: post-deploy}\n")}`,
          ),
        },
      ]),
    ).not.toThrow();
  });
});

describe("planner: which jobs a rollout runs", () => {
  const v1 = resolve("c1", [stack("shop", [service("web"), job("migrate", "pre-deploy")])]);
  const v2 = resolve("c2", [stack("shop", [service("web", { spec: { environment: { V: "2" } } }), job("migrate", "pre-deploy")])]);
  const migrateOf = (state: typeof v1, fields: Partial<ObservedContainer>) =>
    runningAs(svcOf(state, "shop", "migrate"), 1, { state: "exited", running: false, job: "pre-deploy", oneShot: true, ...fields });
  const host = (state: typeof v1, migrate?: Partial<ObservedContainer>): HostSnapshot => {
    const h = hostMatching(state);
    const others = h.containers.filter((c) => c.service !== "migrate");
    return { ...h, containers: migrate ? [...others, migrateOf(state, migrate)] : others };
  };
  const jobs = (state: typeof v1, h: HostSnapshot) =>
    (makePlan(state, h, { release: true }).jobs ?? []).map((j) => `${j.phase} ${j.container}: ${j.reasons.join("; ")}`);

  const cases: [string, typeof v1, HostSnapshot, string[]][] = [
    ["a host that never ran it", v1, host(v1), ["pre-deploy shop-migrate-1: first run on this host"]],
    ["its run for this very commit exited 0: never twice per commit", v1, host(v1, { commit: "c1", exitCode: 0 }), []],
    ["a commit that changes its stack runs it", v2, host(v1, { commit: "c1", exitCode: 0 }), ["pre-deploy shop-migrate-1: stack changed"]],
    [
      "a commit that changes nothing of its stack and not the job does not",
      resolve(
        "c3",
        v1.stacks.map((s) => s.stack),
      ),
      host(v1, { commit: "c1", exitCode: 0 }),
      [],
    ],
    [
      "a job whose settings changed runs",
      resolve("c3", [
        stack("shop", [
          service("web"),
          { ...job("migrate", "pre-deploy"), container: { ...job("migrate", "pre-deploy").container, command: ["migrate", "--all"] } },
        ]),
      ]),
      host(v1, { commit: "c1", exitCode: 0 }),
      ["pre-deploy shop-migrate-1: job changed"],
    ],
    [
      "a last run that failed runs again",
      resolve(
        "c3",
        v1.stacks.map((s) => s.stack),
      ),
      host(v1, { commit: "c2", exitCode: 1 }),
      ["pre-deploy shop-migrate-1: last run failed (exit code 1)"],
    ],
    [
      "a last run that never finished runs again",
      resolve(
        "c3",
        v1.stacks.map((s) => s.stack),
      ),
      host(v1, { commit: "c2", state: "running", running: true }),
      ["pre-deploy shop-migrate-1: last run did not finish"],
    ],
  ];
  it.each(cases)("%s", (_name, desired, h, expected) => {
    expect(jobs(desired, h)).toEqual(expected);
  });

  it("plans no replica for a job, keeps its last run, and pulls its image", () => {
    const plan = makePlan(v2, host(v1, { commit: "c1", exitCode: 0 }), { release: true });
    expect(plan.actions.map((a) => `${a.kind} ${a.container}`)).toEqual(["replace shop-web-1"]);
    expect(plan.jobs?.[0]?.containerId).toBe("shop-migrate-1-id");
    expect(plan.images).toEqual([svcOf(v2, "shop", "migrate").spec.image]);
  });

  it("a job's name held by a container gitdock does not manage blocks the plan", () => {
    const h = host(v1);
    h.containers.push({ ...migrateOf(v1, {}), managed: false, id: "foreign" });
    const plan = makePlan(v1, h, { release: true });
    expect(plan.jobs).toBeUndefined();
    expect(plan.blockers).toEqual([
      expect.stringContaining("job shop/migrate cannot run: the name shop-migrate-1 is held by a container gitdock does not manage"),
    ]);
  });

  it("prints the jobs after the containers, and counts them", () => {
    const text = formatPlanText(makePlan(v2, host(v1, { commit: "c1", exitCode: 0 }), { release: true }));
    expect(text.split("\n")).toEqual([
      "Plan for commit c2: 0 to create, 1 to replace, 0 to remove, 0 unchanged, 1 job(s) to run",
      "  ~ shop-web-1  replace   config changed: environment",
      "  > shop-migrate-1  pre-deploy job: stack changed",
    ]);
  });

  it("a drift repair or a restore plans no job: no job run, no job's image to pull, no job's name in the way", () => {
    const release = makePlan(v1, host(v1), { release: true });
    expect(release.jobs).toHaveLength(1);
    const repair = makePlan(v1, host(v1), { release: false });
    expect(repair.jobs).toBeUndefined();
    expect(repair.images).toEqual([]);
    expect(repair.actions).toEqual(release.actions);
  });
});

describe("planner: one-shots and containers changed in place", () => {
  const init = service("init");
  init.oneShot = true;
  const state = resolve("c1", [stack("shop", [init, service("web", { dependsOn: ["init"] })])]);
  const patch = (name: string, fields: Partial<ObservedContainer>): HostSnapshot => {
    const h = hostMatching(state);
    return { ...h, containers: h.containers.map((c) => (c.name === name ? { ...c, ...fields } : c)) };
  };
  const summary = (h: HostSnapshot) =>
    makePlan(state, h, { release: true }).actions.map((a) => `${a.kind} ${a.container}${a.reasons.length ? `: ${a.reasons.join("; ")}` : ""}`);

  it.each<[string, HostSnapshot, string[]]>([
    [
      "a one-shot that exited 0 is done, not drift",
      patch("shop-init-1", { state: "exited", running: false, exitCode: 0 }),
      ["unchanged shop-init-1", "unchanged shop-web-1"],
    ],
    ["a one-shot still running is left to finish", patch("shop-init-1", {}), ["unchanged shop-init-1", "unchanged shop-web-1"]],
    [
      "a one-shot that failed is run again",
      patch("shop-init-1", { state: "exited", running: false, exitCode: 3 }),
      ["replace shop-init-1: one-shot failed: exit code 3", "unchanged shop-web-1"],
    ],
    [
      "a one-shot created but never started is run",
      patch("shop-init-1", { state: "created", running: false }),
      ["replace shop-init-1: not running", "unchanged shop-web-1"],
    ],
    [
      "a service that exited 0 is still not running",
      patch("shop-web-1", { state: "exited", running: false, exitCode: 0 }),
      ["unchanged shop-init-1", "replace shop-web-1: not running"],
    ],
    [
      "a container changed in place is replaced from its image",
      patch("shop-web-1", { changedInPlace: ["exec"] }),
      ["unchanged shop-init-1", "replace shop-web-1: changed in place"],
    ],
    [
      "a changed one-shot says both",
      patch("shop-init-1", { state: "exited", running: false, exitCode: 1, changedInPlace: ["writable layer"] }),
      ["replace shop-init-1: one-shot failed: exit code 1; changed in place", "unchanged shop-web-1"],
    ],
  ])("%s", (_name, h, expected) => {
    expect(summary(h)).toEqual(expected);
  });
});

describe("the order jobs run in", () => {
  const run = (service: string, phase: "pre-deploy" | "post-deploy", dependsOn: string[] = [], project = "shop"): JobRun => ({
    project,
    service,
    phase,
    dependsOn,
    container: `${project}-${service}-1`,
    containerId: undefined,
    reasons: ["stack changed"],
  });

  it("runs a phase's jobs one after another, each after the jobs of its phase it depends on", () => {
    const jobs = [
      run("seed", "pre-deploy", ["schema", "db"]),
      run("schema", "pre-deploy", ["db"]),
      run("audit", "pre-deploy"),
      run("smoke", "post-deploy", ["seed"]),
    ];
    expect(jobsInOrder(jobs, "pre-deploy").map((j) => j.service)).toEqual(["audit", "schema", "seed"]);
    expect(jobsInOrder(jobs, "post-deploy").map((j) => j.service)).toEqual(["smoke"]);
  });

  it("orders by stack and name where nothing else does, and never drops a job caught in a cycle", () => {
    const jobs = [run("b", "pre-deploy", ["a"], "two"), run("a", "pre-deploy", ["b"], "two"), run("z", "pre-deploy", [], "one")];
    expect(jobsInOrder(jobs, "pre-deploy").map((j) => `${j.project}/${j.service}`)).toEqual(["one/z", "two/a", "two/b"]);
  });

  it("creates the missing services pre-deploy jobs depend on first, directly or not, and nothing else", () => {
    const state = resolve("c1", [
      stack("shop", [service("vault"), service("db", { dependsOn: ["vault"] }), service("web", { dependsOn: ["db"] }), job("migrate", "pre-deploy", ["db"])]),
    ]);
    const a = (kind: ContainerAction["kind"], svc: string): ContainerAction => ({
      kind,
      project: "shop",
      service: svc,
      container: `shop-${svc}-1`,
      number: 1,
      containerId: undefined,
      reasons: [],
    });
    const actions = [a("create", "db"), a("replace", "vault"), a("create", "web")];
    expect(createsBeforeJobs(actions, [run("migrate", "pre-deploy", ["db"])], state)).toEqual([actions[0]]);
    expect(createsBeforeJobs(actions, [run("smoke", "post-deploy", ["db"])], state)).toEqual([]);
  });
});

describe("the completion gate", () => {
  const sample = (fields: Partial<GateSample>): GateSample => ({
    at: 1_000,
    status: "running",
    running: true,
    restartCount: 0,
    startedAt: "t",
    exitCode: 0,
    health: "none",
    ...fields,
  });
  const rules = { startedAt: 0, timeoutMs: 5_000 };

  it.each<[string, Partial<GateSample>, string]>([
    ["still running", {}, "pending"],
    ["exited 0", { status: "exited", running: false, exitCode: 0 }, "passed"],
    ["exited 2", { status: "exited", running: false, exitCode: 2 }, "failed completion: exited with code 2"],
    ["killed for memory", { status: "exited", running: false, exitCode: 137, oomKilled: true }, "failed completion: exited with code 137 (out of memory)"],
    ["restarted by its policy", { status: "restarting", exitCode: 1 }, "failed completion: exited with code 1 and is being restarted"],
    ["removed", { status: "removing" }, "failed completion: container removed before it finished"],
    ["past its time", { at: 5_000 }, "failed timeout: still running after 5s"],
  ])("%s", (_name, fields, expected) => {
    const d = decideCompletion(sample(fields), rules);
    expect(d.verdict === "failed" ? `failed ${d.failure.check}: ${d.failure.detail}` : d.verdict).toBe(expected);
  });
});
