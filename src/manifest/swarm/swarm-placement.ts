import type { SwarmDeploy } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

type PlacementInput = NonNullable<ServiceInput["deploy"]>["placement"];
type Placement = Pick<SwarmDeploy, "constraints" | "spread" | "maxReplicasPerNode">;

/** SwarmKit's constraint syntax: `<attribute> == <value>` or `!=`; the attributes it knows (case-insensitive). */
const CONSTRAINT = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(==|!=)\s*(\S(?:.*\S)?)\s*$/;
const ATTRIBUTES = /^(?:node\.id|node\.hostname|node\.role|node\.platform\.os|node\.platform\.arch|node\.labels\.[^.].*|engine\.labels\.[^.].*)$/i;
const CONSTRAINT_HINT =
  'expected a constraint like "node.role==manager" or "node.labels.zone!=a" (node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name>, engine.labels.<name>)';

/**
 * `deploy.placement`: constraints as written (a constraint SwarmKit cannot read, or on an attribute
 * it does not know, would leave the tasks pending for ever, so it is a problem here), spread
 * preferences in order, and the most tasks per node (replicated services only).
 */
export function swarmPlacement(input: PlacementInput, mode: SwarmDeploy["mode"], problems: ProblemSink): Placement {
  const constraints = input?.constraints ?? [];
  constraints.forEach((constraint, i) => {
    const parsed = CONSTRAINT.exec(constraint);
    if (!parsed || !ATTRIBUTES.test(parsed[1] ?? "")) problems.report(["constraints", i], CONSTRAINT_HINT);
  });
  const placement: Placement = { constraints, spread: (input?.preferences ?? []).map((p) => p.spread) };
  const most = input?.max_replicas_per_node;
  if (most !== undefined && mode === "global") {
    problems.report(["max_replicas_per_node"], "applies to mode: replicated only: a global service runs one task per node");
  } else if (most !== undefined) {
    placement.maxReplicasPerNode = most;
  }
  return placement;
}
