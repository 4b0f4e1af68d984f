/**
 * Verdicts that depend only on a key (a commit and what else the caller folds into it) and a
 * policy object, kept so an idle agent does not judge the same commit again on every poll. The
 * policy is held weakly: a config reload makes a new policy object, and with it a new verdict.
 * `keep` keys at most (the oldest go first); a verdict older than `maxAgeMs` is judged again (so
 * what can change with time alone, such as a key's expiry, is noticed). A computation that throws
 * is not kept.
 */
export class VerdictCache<V> {
  private readonly entries = new Map<string, WeakMap<object, { at: number; value: V }>>();

  constructor(private readonly opts: { keep: number; maxAgeMs: number; now?: () => number }) {}

  async get(key: string, policy: object, compute: () => Promise<V>): Promise<V> {
    const now = (this.opts.now ?? Date.now)();
    let byPolicy = this.entries.get(key);
    const hit = byPolicy?.get(policy);
    if (hit && now - hit.at < this.opts.maxAgeMs) return hit.value;
    const value = await compute();
    byPolicy = this.entries.get(key);
    if (!byPolicy) {
      byPolicy = new WeakMap();
      this.entries.set(key, byPolicy);
      while (this.entries.size > this.opts.keep) this.entries.delete(this.entries.keys().next().value as string);
    }
    byPolicy.set(policy, { at: now, value });
    return value;
  }
}
