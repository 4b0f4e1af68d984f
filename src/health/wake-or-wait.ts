/**
 * The gates' wait between two looks at a container: `pollMs`, or less when the Engine reports an
 * event about it (a `Wakeup` rung by container-wakeups.ts), or until the shutdown signal aborts. A
 * ring that comes while the gate is busy (inspecting, probing) is kept, so the next wait ends at once
 * instead of sleeping through it. The health gate and the completion gate both wait this way.
 */

export const ABORTED = Symbol("aborted");

/** Resolves with the promise's value, or with ABORTED as soon as the signal aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise<T | typeof ABORTED>((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** An Engine event for the gate's container: the next pause ends at once (or is skipped if it came meanwhile). */
export class Wakeup {
  private rung = false;
  private resolve: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.resolve?.();
  }

  /** Resolves on the next ring, or at once if one came since the last wait. */
  wait(): { promise: Promise<void>; cancel: () => void } {
    if (this.rung) {
      this.rung = false;
      return { promise: Promise.resolve(), cancel: () => undefined };
    }
    const promise = new Promise<void>((resolve) => {
      this.resolve = () => {
        this.rung = false;
        resolve();
      };
    });
    return { promise, cancel: () => (this.resolve = undefined) };
  }
}

/** Sleeps `ms`, ending early on a ring (or one already rung) or with ABORTED when the signal aborts. */
export function pause(ms: number, signal: AbortSignal | undefined, wake: Wakeup): Promise<void | typeof ABORTED> {
  let timer: NodeJS.Timeout | undefined;
  const woken = wake.wait();
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return untilAborted(Promise.race([slept, woken.promise]), signal).finally(() => {
    clearTimeout(timer);
    woken.cancel();
  });
}
