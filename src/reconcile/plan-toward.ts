import type { DesiredState } from "../model.js";
import { observeHost, resolveHostInputs } from "../observe/index.js";
import { makePlan, type HostSnapshot, type Plan, type ResolvedState } from "../plan/index.js";
import type { ReconcileContext } from "./context.js";

/** Plan one desired state against the host as it is now, or as `observed` moments ago in the same pass. */
export async function planToward(
  ctx: ReconcileContext,
  desired: DesiredState,
  observed?: HostSnapshot,
): Promise<{ resolved: ResolvedState; plan: Plan; host: HostSnapshot }> {
  const resolved = await resolveHostInputs(desired, ctx.hostKey);
  const host = observed ?? (await observeHost(ctx.docker, ctx.settings.hostId));
  return { resolved, plan: makePlan(resolved, host), host };
}
