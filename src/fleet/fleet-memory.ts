import type { WaveVerdict } from "./wave-rule.js";

/** Commits and messages remembered at most; older ones are forgotten first. */
const LIMIT = 200;

/** A fleet event for notifications (src/notify), told by the host that saw it. */
export type FleetEvent =
  /** `wave` reached `hosts` (the host telling it) for `commit`: every earlier wave reported it healthy for its soak. */
  | { kind: "wave-advanced"; commit: string; wave: string; hosts: string[]; at: string }
  /** `commit` is held fleet-wide: `host` reported it failed, for `reason`. */
  | { kind: "commit-held"; commit: string; host: string; reason: string; at: string };

/**
 * What the agent keeps between passes for the wave rule: when it first saw each branch head (the
 * first wave's clock while nobody has reported), the last verdict per commit (to tell when a wave
 * advanced) and which warnings it already gave. In memory only: after a restart the clock starts
 * again, which can only make a wave wait longer, never shorter.
 */
export class FleetMemory {
  private readonly seen = new Map<string, number>();
  private readonly verdicts = new Map<string, WaveVerdict["kind"]>();
  private readonly said = new Set<string>();

  firstSeen(commit: string, now: number): number {
    const at = this.seen.get(commit) ?? now;
    remember(this.seen, commit, at);
    return at;
  }

  /** The verdict before this one for the commit (undefined the first time). */
  swapVerdict(commit: string, kind: WaveVerdict["kind"]): WaveVerdict["kind"] | undefined {
    const before = this.verdicts.get(commit);
    remember(this.verdicts, commit, kind);
    return before;
  }

  /** True the first time `key` is given: for saying a thing once. */
  once(key: string): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    if (this.said.size > LIMIT) this.said.delete(this.said.values().next().value as string);
    return true;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > LIMIT) map.delete(map.keys().next().value as string);
}
