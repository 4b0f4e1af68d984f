import type { Plan, ResolvedState } from "../plan/types.js";

/** One image apply must make present before any container changes, and how (pull_policy, platform). */
export interface PullRequest {
  image: string;
  /** `os/arch[/variant]` when a service asks for one; the image is looked up and pulled for it. */
  platform: string | undefined;
  /** missing: pull when absent (the default). always: pull again. never: it must be on the host. */
  policy: "missing" | "always" | "never";
  /** `<project>/<service>` of the services that need it, for messages. */
  services: string[];
}

const STRENGTH = { never: 0, missing: 1, always: 2 } as const;

/**
 * What the plan's creates, replaces and release jobs need, one request per image and platform. Services that
 * share one ask for the most pulling any of them asks for: `always` over `missing` over `never`.
 */
export function pullRequests(plan: Plan, desired: ResolvedState): PullRequest[] {
  const wanted = new Set(
    [...plan.actions.filter((a) => a.kind === "create" || a.kind === "replace"), ...(plan.jobs ?? [])].map((a) => `${a.project}/${a.service}`),
  );
  const byKey = new Map<string, PullRequest>();
  for (const { services } of desired.stacks) {
    for (const svc of services) {
      const who = `${svc.project}/${svc.service.name}`;
      if (!wanted.has(who)) continue;
      const policy = svc.service.pullPolicy ?? "missing";
      const key = `${svc.spec.image} ${svc.spec.platform ?? ""}`;
      const seen = byKey.get(key);
      if (!seen) byKey.set(key, { image: svc.spec.image, platform: svc.spec.platform, policy, services: [who] });
      else {
        seen.services.push(who);
        if (STRENGTH[policy] > STRENGTH[seen.policy]) seen.policy = policy;
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}
