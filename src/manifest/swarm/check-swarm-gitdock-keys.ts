import type { UnsentKey } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm, USE_CONTAINERS_HOST } from "./swarm-wording.js";

/**
 * What gitdock itself does for plain containers and does not do on a Swarm yet: services that run
 * to completion (release jobs, one-shots), its HTTP/TCP probes, the in-place watch. `depends_on`
 * with service_started or service_healthy stays: gitdock orders the services itself.
 */
export function checkSwarmGitdockKeys(service: ServiceInput, problems: ProblemSink): UnsentKey[] {
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
  if (options.probe !== undefined) {
    problems.report(
      ["x-gitdock", "probe"],
      notOnSwarm(
        "gitdock's HTTP and TCP probes are not available on a Swarm yet; use a Docker healthcheck instead, which every task runs: healthcheck: {test: [CMD, ...]}",
      ),
      "key",
    );
  }
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
