/**
 * What a rollout changed, in order: enough to undo it. Each step is one container name: the new
 * container created under it (if any) and where the container it replaced now waits (if any).
 */
export interface RolloutStep {
  project: string;
  service: string;
  name: string;
  newId: string | undefined;
  /** Name of the retained previous container (`<name>.gitdock-prev`), stopped or, for start-first, running. */
  retainedName: string | undefined;
}

export class RolloutLog {
  readonly steps: RolloutStep[] = [];

  add(step: Omit<RolloutStep, "newId" | "retainedName">): RolloutStep {
    const s: RolloutStep = { ...step, newId: undefined, retainedName: undefined };
    this.steps.push(s);
    return s;
  }

  retained(): RolloutStep[] {
    return this.steps.filter((s) => s.retainedName !== undefined);
  }
}
