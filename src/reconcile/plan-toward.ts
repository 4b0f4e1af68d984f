import type { DesiredState } from "../model.js";
import { observeHost, resolveHostInputs, withInPlaceChanges } from "../observe/index.js";
import { makePlan, type HostSnapshot, type Plan, type ResolvedState } from "../plan/index.js";
import type { ReconcileContext } from "./context.js";

/**
 * Plan one desired state against the host as it is now, or as `observed` moments ago in the same
 * pass; release jobs only for a release (`makePlan`).
 */
export async function planToward(
  ctx: ReconcileContext,
  desired: DesiredState,
  opts: { release: boolean; observed?: HostSnapshot | undefined },
): Promise<{ resolved: ResolvedState; plan: Plan; host: HostSnapshot }> {
  const observed = opts.observed;
  const resolved = await resolveHostInputs(desired, ctx.hostKey);
  const seen = observed ?? (await observeHost(ctx.docker, ctx.settings.hostId));
  // The agent's in-place watch learns what runs and what each service may change; with
  // drift.in_place: replace, what it found changed is marked for the planner.
  ctx.inPlace?.track(resolved, seen);
  const host = withInPlaceChanges(seen, ctx.inPlace);
  return { resolved, plan: makePlan(resolved, host, { release: opts.release }), host };
}
