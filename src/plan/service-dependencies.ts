import type { ResolvedState } from "./types.js";

/** `<project>/<service>` → the `<project>/<service>` keys it depends on, for every service of the commit. */
export function serviceDependencies(resolved: ResolvedState): Map<string, string[]> {
  return new Map(
    resolved.stacks.flatMap((st) =>
      st.services.map((s): [string, string[]] => [`${s.project}/${s.service.name}`, s.service.dependsOn.map((d) => `${s.project}/${d.service}`)]),
    ),
  );
}
