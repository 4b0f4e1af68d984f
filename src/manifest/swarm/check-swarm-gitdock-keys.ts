import type { UnsentKey } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm, USE_CONTAINERS_HOST } from "./swarm-wording.js";

/**
 * What gitdock itself does for plain containers and does not do on a Swarm yet: services that run
 * to completion (release jobs, one-shots), the in-place watch; and its HTTP/TCP probes only where
 * it can reach every task: at its node's address, through a port the service publishes in host mode. `depends_on`
 * with service_started or service_healthy stays: gitdock orders the services itself.
 */
export function checkSwarmGitdockKeys(service: ServiceInput, hostModePorts: readonly string[], problems: ProblemSink): UnsentKey[] {
  checkOneShots(service.depends_on, problems);
  const options = service["x-gitdock"];
  if (options === undefined) return [];
  if (options.job !== undefined) {
    problems.report(
      ["x-gitdock", "job"],
      notOnSwarm(`release jobs are not available on a Swarm yet; run the job outside the stack, as a CI step before the commit, ${USE_CONTAINERS_HOST}`),
      "key",
    );
  }
  checkProbe(options.probe, hostModePorts, problems);
  if (options.writable_paths === undefined) return [];
  return [{ key: "x-gitdock.writable_paths", reason: "gitdock's watch over containers changed in place does not look into a Swarm's tasks" }];
}

function checkOneShots(dependsOn: ServiceInput["depends_on"], problems: ProblemSink): void {
  if (dependsOn === undefined || Array.isArray(dependsOn)) return;
  for (const [name, dependency] of Object.entries(dependsOn)) {
    if (dependency.condition !== "service_completed_successfully") continue;
    problems.report(
      ["depends_on", name, "condition"],
      notOnSwarm(
        `it makes ${name} a one-shot, and gitdock cannot wait for a Swarm task to complete yet; use service_started or service_healthy, ${USE_CONTAINERS_HOST}`,
      ),
    );
  }
}

type ProbeInput = NonNullable<NonNullable<ServiceInput["x-gitdock"]>["probe"]>;

/** A probe reaches a task at its node's address, on the port published there for it: the probed port must be published in host mode. */
function checkProbe(probe: ProbeInput | undefined, hostModePorts: readonly string[], problems: ProblemSink): void {
  if (probe === undefined) return;
  const port = "http" in probe && probe.http ? probe.http.port : "tcp" in probe && probe.tcp ? probe.tcp.port : undefined;
  if (port === undefined || hostModePorts.includes(`${port}/tcp`)) return;
  problems.report(
    ["x-gitdock", "probe"],
    notOnSwarm(
      `gitdock probes each task at its node's address, through the port published for it there, and port ${port} is not published in host mode; publish it so with ports: [{target: ${port}, published: <port>, mode: host}], or use a Docker healthcheck, which every task runs`,
    ),
    "key",
  );
}
