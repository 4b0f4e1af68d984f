/**
 * A failed Swarm rollout undone as a whole: every service the commit updated goes back to the spec
 * it had before (the last good commit's, as Swarm held it when the rollout began), every service it
 * created is removed, in the reverse order; then the services put back are gated again. An undo step
 * that fails does not stop the others. Swarm's own rollback is per service and one spec deep; this
 * is the whole commit.
 */
import type Docker from "dockerode";
import { describeError } from "../errors.js";
import { LABEL } from "../labels.js";
import type { Logger } from "../log.js";
import type { SwarmStep } from "./apply-swarm.js";
import { updateService } from "./update-service.js";
import type { JsonObject } from "./service-spec.js";
import { waitForServices } from "./swarm-gate.js";

export interface SwarmUndoResult {
  /** Services back at their previous spec and healthy again. */
  restored: string[];
  /** What could not be undone or did not come back healthy, in gitdock's words. */
  problems: string[];
  /** Put back, and waiting for nodes that are not ready to run their tasks (Swarm places them when the nodes return). */
  waiting: string[];
}

export async function undoSwarmRollout(
  steps: readonly SwarmStep[],
  ctx: { docker: Docker; log: Logger; gateTimes: (service: string) => { healthTimeoutMs: number; monitorMs: number } },
): Promise<SwarmUndoResult> {
  const problems: string[] = [];
  const putBack: { name: string; taskHash: string; template: JsonObject }[] = [];
  for (const step of [...steps].reverse()) {
    try {
      if (step.kind === "created") {
        await ctx.docker.getService(step.name).remove();
        ctx.log.warn({ stage: "rollback", service: step.name }, `removed service ${step.name}, which the failed commit created`);
      } else {
        await updateService(ctx.docker, step.name, step.previous);
        putBack.push({ name: step.name, taskHash: taskHashOf(step.previous), template: (step.previous["TaskTemplate"] ?? {}) as JsonObject });
        ctx.log.warn({ stage: "rollback", service: step.name }, `service ${step.name} put back to its previous spec`);
      }
    } catch (err) {
      problems.push(`${step.name}: ${describeError(err)}`);
    }
  }
  const gates = await waitForServices(
    ctx.docker,
    putBack.map((b) => ({ ...b, ...ctx.gateTimes(b.name) })),
  );
  const waiting: string[] = [];
  for (const g of gates) {
    if (g.ok) continue;
    if (g.waitsForNodes) waiting.push(g.service);
    else problems.push(`${g.service}: not healthy after the rollback: ${g.reason}`);
  }
  for (const name of waiting)
    ctx.log.warn({ stage: "rollback", service: name }, `service ${name} is back at its previous spec; its tasks wait for nodes that are not ready`);
  return { restored: gates.filter((g) => g.ok).map((g) => g.service), problems, waiting };
}

function taskHashOf(spec: JsonObject): string {
  const template = spec["TaskTemplate"] as { ContainerSpec?: { Labels?: Record<string, string> } } | undefined;
  return template?.ContainerSpec?.Labels?.[LABEL.taskHash] ?? "";
}
