export interface DependencyTask {
  key: string;
  /** Keys that must finish first. Keys with no task of their own count as already done. */
  deps: string[];
  run: () => Promise<void>;
}

/**
 * Run tasks so that each starts only after its dependencies finished, with at most `limit` running.
 * A failed task fails its dependents without running them (they are reported as skipped); independent
 * tasks still run. Resolves with the keys that failed or were skipped; never rejects.
 */
export async function runInDependencyOrder(tasks: DependencyTask[], limit: number): Promise<{ failed: Map<string, unknown>; skipped: string[] }> {
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const done = new Set<string>();
  const failed = new Map<string, unknown>();
  const skipped: string[] = [];
  const pending = new Set(tasks.map((t) => t.key));
  const running = new Map<string, Promise<void>>();

  const ready = (t: DependencyTask) => t.deps.every((d) => !byKey.has(d) || done.has(d));
  const blocked = (t: DependencyTask) => t.deps.some((d) => failed.has(d) || skipped.includes(d));

  while (pending.size || running.size) {
    for (const key of [...pending]) {
      const task = byKey.get(key) as DependencyTask;
      if (blocked(task)) {
        pending.delete(key);
        skipped.push(key);
        continue;
      }
      if (running.size >= limit || !ready(task)) continue;
      pending.delete(key);
      running.set(
        key,
        task
          .run()
          .then(
            () => void done.add(key),
            (err: unknown) => void failed.set(key, err),
          )
          .finally(() => running.delete(key)),
      );
    }
    if (!running.size) {
      // Whatever is still pending waits on a dependency cycle; the manifest stage refuses cycles, so this is a bug guard.
      for (const key of pending) skipped.push(key);
      break;
    }
    await Promise.race(running.values());
  }
  return { failed, skipped };
}
