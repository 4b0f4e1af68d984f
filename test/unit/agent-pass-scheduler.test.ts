import { describe, expect, it } from "vitest";
import { describeTriggers, isManualPass, PassScheduler, type Trigger, type TriggerKind } from "../../src/agent/pass-scheduler.js";

/** A pass function the test finishes by hand, recording what each pass saw and the concurrency. */
function controlledPasses() {
  const passes: { triggers: string[]; finish: (v?: unknown) => void; fail: (e: unknown) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const run = (triggers: readonly Trigger[]) =>
    new Promise<string>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const n = passes.length + 1;
      passes.push({
        triggers: triggers.map((t) => t.kind),
        finish: () => {
          running--;
          resolve(`pass ${n}`);
        },
        fail: (e) => {
          running--;
          reject(e);
        },
      });
    });
  return { passes, run, maxRunning: () => maxRunning };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("PassScheduler", () => {
  it("starts a pass at once when idle, with the trigger that asked", async () => {
    const c = controlledPasses();
    const s = new PassScheduler(c.run);
    const done = s.request({ kind: "startup" });
    await tick();
    expect(c.passes.map((p) => p.triggers)).toEqual([["startup"]]);
    expect(s.busy).toBe(true);
    c.passes[0]!.finish();
    expect(await done).toEqual({ ok: true, value: "pass 1" });
    await s.idle();
    expect(s.busy).toBe(false);
  });

  it("coalesces every trigger that arrives during a pass into one more pass, never two at once", async () => {
    const c = controlledPasses();
    const s = new PassScheduler(c.run);
    const first = s.request({ kind: "poll" });
    await tick();
    const during = Array.from({ length: 20 }, (_, i) => s.request({ kind: i % 2 ? "webhook" : "docker-event" }));
    expect(s.queued).toBe(true);
    c.passes[0]!.finish();
    await first;
    await tick();
    expect(c.passes).toHaveLength(2);
    expect(c.passes[1]!.triggers).toHaveLength(20);
    c.passes[1]!.finish();
    const outcomes = await Promise.all(during);
    // Every request made during pass 1 is answered by pass 2, which started after it.
    expect(new Set(outcomes.map((o) => (o.ok ? o.value : "error")))).toEqual(new Set(["pass 2"]));
    await s.idle();
    expect(c.passes).toHaveLength(2);
    expect(c.maxRunning()).toBe(1);
    expect(s.started).toBe(2);
  });

  it("a failed pass is reported to its callers and the next trigger still runs", async () => {
    const c = controlledPasses();
    const s = new PassScheduler(c.run);
    const failing = s.request({ kind: "poll" });
    await tick();
    c.passes[0]!.fail(new Error("git server down"));
    const o = await failing;
    expect(o.ok).toBe(false);
    expect(!o.ok && (o.error as Error).message).toBe("git server down");
    const next = s.request({ kind: "retry" });
    await tick();
    c.passes[1]!.finish();
    expect((await next).ok).toBe(true);
  });

  it("close() cancels the pending pass, lets the running one finish, and refuses new triggers", async () => {
    const c = controlledPasses();
    const s = new PassScheduler(c.run);
    const running = s.request({ kind: "webhook" });
    await tick();
    const pending = s.request({ kind: "manual" });
    s.close();
    const cancelled = await pending;
    expect(cancelled).toMatchObject({ ok: false, cancelled: true });
    expect(await s.request({ kind: "poll" })).toMatchObject({ ok: false, cancelled: true });
    let idle = false;
    const waiting = s.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    c.passes[0]!.finish();
    expect((await running).ok).toBe(true);
    await waiting;
    expect(c.passes).toHaveLength(1);
  });

  it("describes a pass's triggers compactly", () => {
    expect(describeTriggers([{ kind: "webhook" }, { kind: "docker-event" }, { kind: "docker-event" }])).toBe("webhook, docker-event x2");
    expect(describeTriggers([{ kind: "startup" }])).toBe("startup");
  });

  it("only a manual trigger (the authenticated POST /sync) makes a pass manual, however triggers coalesce", () => {
    const others: TriggerKind[] = ["startup", "poll", "retry", "webhook", "docker-event", "repo-change", "reload", "engine-reconnected"];
    for (const kind of others) expect(isManualPass([{ kind }]), kind).toBe(false);
    expect(isManualPass(others.map((kind) => ({ kind, detail: "manual" })))).toBe(false);
    expect(isManualPass([{ kind: "webhook" }, { kind: "manual" }])).toBe(true);
    expect(isManualPass([])).toBe(false);
  });
});
