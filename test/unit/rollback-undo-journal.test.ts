/**
 * An undo whose journal cannot be written (a full disk) still undoes every step, and its log says
 * what failed: the journal write, not the rollback. The steps here changed nothing on the host
 * (a rollout stopped before its first rename), so the Engine is never asked; the real Engine's
 * path is in test/e2e/state-bounded.test.ts.
 */
import { Writable } from "node:stream";
import Docker from "dockerode";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { undoRollout, type UndoContext } from "../../src/rollback/index.js";

function logger(): { log: pino.Logger; lines: () => { level: number; msg: string; container?: string; err?: string }[] } {
  const out: string[] = [];
  const log = pino({ level: "debug" }, new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) }));
  return { log, lines: () => out.map((l) => JSON.parse(l)) };
}

describe("undoRollout when the journal cannot be written", () => {
  it("goes on with every step and logs the journal write as what failed", async () => {
    const { log, lines } = logger();
    const attempted: string[] = [];
    const ctx: UndoContext = {
      docker: new Docker({ socketPath: "/nonexistent/docker.sock" }),
      log,
      commit: "c".repeat(40),
      record: async (e) => {
        attempted.push(`${e.container} ${e.outcome}`);
        throw new StateError("cannot append to /state/journal.jsonl: ENOSPC: no space left on device, write");
      },
    };
    const steps = ["shop-web-1", "shop-web-2"].map((name) => ({ project: "shop", service: "web", name, newId: undefined, retainedName: undefined }));

    const result = await undoRollout(steps, ctx);

    expect(result).toEqual({ restored: [], problems: [] });
    expect(attempted).toEqual(["shop-web-2 ok", "shop-web-1 ok"]);
    const logged = lines();
    expect(logged.some((l) => /ROLLBACK FAILED/.test(l.msg))).toBe(false);
    const journalFailures = logged.filter((l) => /JOURNAL WRITE FAILED during the rollback/.test(l.msg));
    expect(journalFailures.map((l) => l.container)).toEqual(["shop-web-2", "shop-web-1"]);
    expect(journalFailures[0]!.msg).toMatch(/shop-web-2 was rolled back, but the journal could not record it/);
    expect(journalFailures[0]!.err).toMatch(/ENOSPC/);
    expect(logged.filter((l) => /^rolled back/.test(l.msg)).map((l) => l.container)).toEqual(["shop-web-2", "shop-web-1"]);
  });
});
