import type { Logger } from "../log.js";
import { DeliveryQueue } from "../notify/index.js";
import { SIGNATURE_HEADER, signBody } from "./marker.js";

export interface MarkerSenderOptions {
  url: string;
  secret: Buffer;
  /** Delivery attempts per marker (the first included). */
  maxAttempts: number;
  log: Logger;
  /** Markers waiting at most; when full, the oldest waiting marker is dropped (and logged). */
  capacity?: number;
  /** Backoff before attempt n+1: base·2^(n-1), capped, with ±20 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per request. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Sends deployment markers in the background, in order, each body signed in
 * `X-Gitdock-Signature`: the delivery itself (fire-and-forget, bounded retries with backoff, a 4xx
 * other than 408/429 final) is src/notify's DeliveryQueue, which notifications use too.
 */
export class MarkerSender {
  private readonly queue: DeliveryQueue;

  constructor(private readonly opts: MarkerSenderOptions) {
    const { secret: _secret, ...delivery } = opts;
    this.queue = new DeliveryQueue({ ...delivery, what: "deployment marker", target: {} });
  }

  get delivered(): number {
    return this.queue.delivered;
  }
  get failed(): number {
    return this.queue.failed;
  }
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Queues a marker body; returns false when an older marker had to be dropped to make room. */
  enqueue(body: string, commit: string): boolean {
    return this.queue.enqueue({
      body,
      headers: { "Content-Type": "application/json", [SIGNATURE_HEADER]: signBody(body, this.opts.secret) },
      about: { commit },
    });
  }

  /** Resolves when every queued marker has been delivered or given up. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
