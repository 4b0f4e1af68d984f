/**
 * Keys the manifest accepts under engine: swarm but a Swarm service is not sent are logged, as on the
 * container engine: once per service and key, for the services a rollout creates or updates.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { loadManifest } from "../../src/manifest/index.js";
import type { DesiredStack } from "../../src/model.js";
import type { ServiceAction, ServicePlan } from "../../src/plan/service-plan-types.js";
import { warnUnsentOnSwarm } from "../../src/swarm/warn-unsent-swarm.js";
import { IMAGE, indent } from "../fixtures/manifest/helpers.js";

interface Line {
  level: number;
  msg: string;
  stage?: string;
  stack?: string;
  service?: string;
  key?: string;
}

function logger(): { log: pino.Logger; lines: () => Line[] } {
  const out: string[] = [];
  const log = pino({ level: "debug" }, new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) }));
  return { log, lines: () => out.map((l) => JSON.parse(l) as Line) };
}

/** A stack `project` read under engine: swarm: `web` with `restart: unless-stopped` and `expose`, `db` with `expose`, a plain `cache`. */
function swarmStack(project: string): DesiredStack {
  const file = `stacks/${project}/compose.yaml`;
  const content = [
    "services:",
    "  web:",
    `    image: ${IMAGE}`,
    indent("restart: unless-stopped\nexpose: ['8080']", 4),
    "  db:",
    `    image: ${IMAGE}`,
    indent("expose: ['5432']", 4),
    "  cache:",
    `    image: ${IMAGE}`,
    "",
  ].join("\n");
  const stack = loadManifest([{ path: file, content }], { root: "stacks", engine: "swarm" }).stacks[0];
  if (!stack) throw new Error("no stack");
  return stack;
}

const action = (project: string, service: string, kind: ServiceAction["kind"]): ServiceAction => ({
  kind,
  project,
  service,
  name: `${project}_${service}`,
  serviceId: undefined,
  reasons: [],
});
const plan = (actions: ServiceAction[]): ServicePlan => ({ commit: "c1", actions, networksToCreate: [], blockers: [] });

describe("warnUnsentOnSwarm", () => {
  it("warns for each unsent key of the services the rollout creates or updates, with the reason, and nothing else", () => {
    // Each test its own project: the warnings are said once per process.
    const project = "gdt-unsent-a";
    const stack = swarmStack(project);
    const { log, lines } = logger();
    warnUnsentOnSwarm(log, [stack], plan([action(project, "web", "update"), action(project, "db", "unchanged"), action(project, "cache", "create")]));
    const logged = lines();
    expect(logged.map((l) => `${l.level} ${l.stage} ${l.stack}/${l.service} ${l.key}`).sort()).toEqual([
      `40 apply ${project}/web expose`,
      `40 apply ${project}/web restart`,
    ]);
    const restart = logged.find((l) => l.key === "restart");
    expect(restart?.msg).toBe(
      `${project}/web: restart is accepted but not sent to the Engine: Swarm has no unless-stopped: its tasks restart as with condition any (write deploy.restart_policy to say so)`,
    );
  });

  it("says nothing for services that are unchanged, removed or in conflict", () => {
    const project = "gdt-unsent-b";
    const { log, lines } = logger();
    warnUnsentOnSwarm(log, [swarmStack(project)], plan([action(project, "web", "unchanged"), action(project, "db", "conflict")]));
    expect(lines()).toEqual([]);
  });

  it("says each key once per service in a process, however many rollouts send it", () => {
    const project = "gdt-unsent-c";
    const stack = swarmStack(project);
    const { log, lines } = logger();
    warnUnsentOnSwarm(log, [stack], plan([action(project, "db", "create")]));
    warnUnsentOnSwarm(log, [stack], plan([action(project, "db", "update")]));
    expect(lines().map((l) => `${l.service} ${l.key}`)).toEqual(["db expose"]);
  });

  it("matches services by stack: another stack's service of the same name is not warned about", () => {
    const [a, b] = ["gdt-unsent-d", "gdt-unsent-e"];
    const { log, lines } = logger();
    warnUnsentOnSwarm(log, [swarmStack(a), swarmStack(b)], plan([action(b, "db", "update")]));
    expect(lines().map((l) => `${l.stack}/${l.service} ${l.key}`)).toEqual([`${b}/db expose`]);
  });
});
