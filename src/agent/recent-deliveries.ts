/**
 * Webhook deliveries already acted on, so a replayed one triggers nothing. Consulted only after a
 * delivery's signature was verified: an unauthenticated sender cannot fill it.
 *
 * A delivery is a duplicate when its forge delivery id was seen, or when its exact body was: the
 * id is a header the signature does not cover, so a replay with a fresh id must still count as a
 * replay. (A legitimate new push always has a new body: its `after`, `before` or timestamps differ.)
 * A verified delivery without an id is judged by its body alone.
 *
 * Memory is bounded twice: entries are forgotten after `windowMs`, and past `maxEntries` the oldest
 * go first. Keys are SHA-256 digests, so an entry's size does not depend on what was sent.
 */
import { createHash } from "node:crypto";

export interface DeliveryRecord {
  provider: string;
  /** The forge's delivery id, when it sent one. */
  id: string | undefined;
  /** The raw, verified body. */
  body: Buffer;
}

export interface RecentDeliveriesOptions {
  windowMs: number;
  maxEntries: number;
}

export const DELIVERY_MEMORY: RecentDeliveriesOptions = { windowMs: 60 * 60_000, maxEntries: 10_000 };

export class RecentDeliveries {
  /** digest → when it was first seen (ms). Insertion order is age order: the oldest come first. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly opts: RecentDeliveriesOptions = DELIVERY_MEMORY,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Undefined when the delivery is new (it is remembered from now on); otherwise why it is a
   * duplicate, in words fit for the response and the log.
   */
  admit(d: DeliveryRecord): string | undefined {
    const at = this.now();
    this.forgetExpired(at);
    const keys = [
      ...(d.id === undefined ? [] : [{ key: digest("id", d.provider, d.id), why: `duplicate delivery ${printable(d.id)}: already received` }]),
      { key: digest("body", d.body), why: "duplicate delivery: the same signed body was already received" },
    ];
    const repeat = keys.find((k) => this.seen.has(k.key));
    if (repeat) return `${repeat.why} within the last ${Math.round(this.opts.windowMs / 60_000)} min; nothing triggered`;
    for (const k of keys) this.seen.set(k.key, at);
    while (this.seen.size > this.opts.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }

  private forgetExpired(at: number): void {
    for (const [key, firstSeen] of this.seen) {
      if (at - firstSeen < this.opts.windowMs) return;
      this.seen.delete(key);
    }
  }
}

function digest(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}

/** Header text safe to put in a reason: printable, at most 100 characters. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
