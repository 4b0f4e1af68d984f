/**
 * Runs async tasks one at a time per key (a file path), in call order, within this process.
 * Across processes, the reconcile lock (lock.ts) is what keeps writers apart.
 */
const tails = new Map<string, Promise<unknown>>();

export function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  const run = before.then(task, task);
  // The chain must continue whether this task fails or not; its own caller sees the failure.
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, settled);
  void settled.then(() => {
    if (tails.get(key) === settled) tails.delete(key);
  });
  return run;
}
