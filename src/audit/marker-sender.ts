import type { Logger } from "../log.js";
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

interface Queued {
  body: string;
  commit: string;
}

/**
 * Sends deployment markers in the background, one at a time, in order: fire-and-forget for the
 * caller (`enqueue` never waits and never throws), so a slow or dead receiver never holds up a
 * reconcile. A failed POST (network error, timeout, 408, 429, 5xx) is retried with backoff up to
 * `maxAttempts`; another 4xx is final (retrying the same body cannot fix it). Pending timers keep
 * a one-shot `gitdock sync` alive until its markers are delivered or given up, which is bounded.
 */
export class MarkerSender {
  private readonly queue: Queued[] = [];
  private running: Promise<void> | undefined;
  private readonly capacity: number;
  delivered = 0;
  failed = 0;
  dropped = 0;

  constructor(private readonly opts: MarkerSenderOptions) {
    this.capacity = opts.capacity ?? 100;
  }

  /** Queues a marker body; returns false when an older marker had to be dropped to make room. */
  enqueue(body: string, commit: string): boolean {
    let room = true;
    if (this.queue.length >= this.capacity) {
      const old = this.queue.shift();
      this.dropped++;
      room = false;
      this.opts.log.warn({ stage: "report", commit: old?.commit }, "deployment marker queue is full; dropped the oldest marker");
    }
    this.queue.push({ body, commit });
    this.running ??= this.work().finally(() => (this.running = undefined));
    return room;
  }

  /** Resolves when every queued marker has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    for (let m = this.queue.shift(); m; m = this.queue.shift()) await this.deliver(m);
  }

  private async deliver(m: Queued): Promise<void> {
    const { log, maxAttempts } = this.opts;
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(m.body);
      if (result.ok) {
        this.delivered++;
        log.info({ stage: "report", commit: m.commit, attempt }, "deployment marker delivered");
        return;
      }
      if (result.final || attempt >= maxAttempts) {
        this.failed++;
        log.warn({ stage: "report", commit: m.commit, attempt, error: result.error }, "deployment marker not delivered; giving up on it");
        return;
      }
      log.info({ stage: "report", commit: m.commit, attempt, error: result.error }, "deployment marker delivery failed; retrying");
      await sleep(this.delay(attempt));
    }
  }

  private delay(attempt: number): number {
    const base = this.opts.baseDelayMs ?? 500;
    const capped = Math.min(this.opts.maxDelayMs ?? 8_000, base * 2 ** (attempt - 1));
    return capped * (0.8 + Math.random() * 0.4);
  }

  private async post(body: string): Promise<{ ok: true } | { ok: false; final: boolean; error: string }> {
    const doFetch = this.opts.fetch ?? fetch;
    try {
      const res = await doFetch(this.opts.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", [SIGNATURE_HEADER]: signBody(body, this.opts.secret), "User-Agent": "gitdock" },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        redirect: "error",
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      return { ok: false, final: !retryable, error: `HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, final: false, error: cause ? `${(err as Error).message} (${cause})` : (err as Error).message };
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
