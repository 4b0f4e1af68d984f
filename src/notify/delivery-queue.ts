import type { Logger } from "../log.js";
import { retryAfterMs } from "./retry-after.js";

export interface DeliveryQueueOptions {
  url: string;
  /** What the log calls one delivery: "deployment marker", "slack notification". */
  what: string;
  /** Log fields that name the target. Never the URL: a webhook URL is a secret. */
  target: Record<string, unknown>;
  /** Delivery attempts per message (the first included). */
  maxAttempts: number;
  log: Logger;
  /** Messages waiting at most; when full, the oldest waiting one is dropped (and logged). */
  capacity?: number;
  /** Backoff before attempt n+1: base·2^(n-1), capped, with ±20 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A 429's or 503's Retry-After is waited out, but never longer than this. */
  maxRetryAfterMs?: number;
  /** Per request. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** One message: its exact body, the headers it needs, and log fields that say what it is about. */
export interface Delivery {
  body: string;
  headers: Record<string, string>;
  about: Record<string, unknown>;
}

type PostResult = { ok: true } | { ok: false; final: boolean; error: string; waitMs: number | undefined };

/**
 * Sends messages to one URL in the background, one at a time, in order: fire-and-forget for the
 * caller (`enqueue` never waits and never throws), so a slow or dead receiver never holds up a
 * reconcile. A failed POST (network error, timeout, 408, 429, 5xx) is retried with backoff (or the
 * 429's Retry-After, capped) up to `maxAttempts`; another 4xx is final (retrying the same body
 * cannot fix it). Pending timers keep a one-shot `gitdock sync` alive until its messages are
 * delivered or given up, which is bounded. Deployment markers and notifications both use it.
 */
export class DeliveryQueue {
  private readonly queue: Delivery[] = [];
  private running: Promise<void> | undefined;
  private readonly capacity: number;
  delivered = 0;
  failed = 0;
  dropped = 0;

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.capacity = opts.capacity ?? 100;
  }

  /** Queues a message; returns false when an older message had to be dropped to make room. */
  enqueue(d: Delivery): boolean {
    let room = true;
    if (this.queue.length >= this.capacity) {
      const old = this.queue.shift();
      this.dropped++;
      room = false;
      this.opts.log.warn({ ...this.fields(old?.about), dropped: this.dropped }, `${this.opts.what} queue is full; dropped the oldest waiting one`);
    }
    this.queue.push(d);
    this.running ??= this.work().finally(() => (this.running = undefined));
    return room;
  }

  /** Resolves when every queued message has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    for (let d = this.queue.shift(); d; d = this.queue.shift()) await this.deliver(d);
  }

  private async deliver(d: Delivery): Promise<void> {
    const { log, maxAttempts, what } = this.opts;
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(d);
      if (result.ok) {
        this.delivered++;
        log.info({ ...this.fields(d.about), attempt }, `${what} delivered`);
        return;
      }
      if (result.final || attempt >= maxAttempts) {
        this.failed++;
        log.warn({ ...this.fields(d.about), attempt, error: result.error }, `${what} not delivered; giving up on it`);
        return;
      }
      log.info({ ...this.fields(d.about), attempt, error: result.error }, `${what} delivery failed; retrying`);
      await sleep(this.delay(attempt, result.waitMs));
    }
  }

  private fields(about: Record<string, unknown> | undefined): Record<string, unknown> {
    return { stage: "report", ...this.opts.target, ...about };
  }

  private delay(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.opts.maxRetryAfterMs ?? 60_000);
    const base = this.opts.baseDelayMs ?? 500;
    const capped = Math.min(this.opts.maxDelayMs ?? 8_000, base * 2 ** (attempt - 1));
    return capped * (0.8 + Math.random() * 0.4);
  }

  private async post(d: Delivery): Promise<PostResult> {
    const doFetch = this.opts.fetch ?? fetch;
    try {
      const res = await doFetch(this.opts.url, {
        method: "POST",
        headers: { ...d.headers, "User-Agent": "gitdock" },
        body: d.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        redirect: "error",
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      const waitMs = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get("retry-after")) : undefined;
      return { ok: false, final: !retryable, error: `HTTP ${res.status}`, waitMs };
    } catch (err) {
      return { ok: false, final: false, error: this.withoutUrl(describeFetchError(err)), waitMs: undefined };
    }
  }

  /** An error's text never carries the URL into the log. */
  private withoutUrl(text: string): string {
    return text.split(this.opts.url).join("<url>");
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  const message = err instanceof Error ? err.message : String(err);
  return cause ? `${message} (${cause})` : message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
