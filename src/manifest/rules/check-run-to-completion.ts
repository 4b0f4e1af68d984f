import type { DesiredService } from "../../model.js";
import { runsToCompletion } from "../../one-shot.js";
import type { ProblemSink } from "../problems.js";

/**
 * Release jobs (`x-gitdock.job`) and one-shots (services others wait for with
 * `service_completed_successfully`) run to completion, so:
 *  - a restart policy that starts them again after they exit (`always`, `unless-stopped`) would
 *    never let them complete;
 *  - a job runs one container, has no health probe (its gate is its exit code), and nothing that
 *    stays up may wait for a post-deploy job, which runs only after every other service is up.
 */
export function checkRunToCompletion(services: DesiredService[], problems: ProblemSink): void {
  const jobs = new Map(services.flatMap((s) => (s.gitdock.job ? [[s.name, s.gitdock.job] as const] : [])));
  for (const s of services) {
    const at = (...path: string[]) => ["services", s.name, ...path];
    if (runsToCompletion(s) && (s.container.restart === "always" || s.container.restart === "unless-stopped")) {
      const what = s.gitdock.job ? `a ${s.gitdock.job} job` : "a one-shot (another service waits for it with service_completed_successfully)";
      problems.report(at("restart"), `${s.container.restart} would start ${what} again each time it exits, so it never completes: use "no" (or on-failure)`);
    }
    if (s.gitdock.job) checkJob(s, problems);
    for (const d of s.dependsOn) {
      if (jobs.get(d.service) !== "post-deploy" || s.gitdock.job === "post-deploy") continue;
      const who = s.gitdock.job ? `the ${s.gitdock.job} job ${s.name}` : s.name;
      problems.report(
        at("depends_on"),
        `${who} depends on ${d.service}, a post-deploy job, which runs only after every other service passed its gate: depend on a pre-deploy job, or make ${s.name} post-deploy too`,
      );
    }
  }
}

function checkJob(s: DesiredService, problems: ProblemSink): void {
  if (s.replicas !== 1)
    problems.report(["services", s.name, "deploy", "replicas"], `a job runs one container per release, not ${s.replicas}: remove deploy.replicas`);
  if (s.gitdock.probe) problems.report(["services", s.name, "x-gitdock", "probe"], "a job has no health probe: it passes when it exits 0; remove probe");
}
