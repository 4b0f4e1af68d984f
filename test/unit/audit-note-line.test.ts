import { describe, expect, it } from "vitest";
import { formatNoteLine, MAX_DETAIL_CHARS, noteLineFor, noteTime, oneLine, outcomeLineOf, parseNoteLine } from "../../src/audit/note-line.js";
import type { CommitOutcome } from "../../src/reconcile/context.js";

const commit = "1".repeat(40);
const line = (o: Partial<CommitOutcome>) => formatNoteLine(noteLineFor({ commit, hostId: "web-1", outcome: "healthy", at: "2026-11-22T14:02:11.734Z", ...o }));

describe("note lines", () => {
  it.each([
    [{ outcome: "healthy" }, "web-1 applied 2026-11-22T14:02:11Z healthy"],
    [
      { hostId: "web-2", outcome: "rolled-back", reason: "health: web-1 http 500 on /healthz", durationMs: 812 },
      "web-2 rolled-back 2026-11-22T14:02:11Z health: web-1 http 500 on /healthz",
    ],
    [
      { hostId: "web-3", outcome: "rejected", reason: "invalid: hosts/web-3/shop/compose.yaml:4:12: services.web.image: not pinned by digest" },
      "web-3 rejected 2026-11-22T14:02:11Z invalid: hosts/web-3/shop/compose.yaml:4:12: services.web.image: not pinned by digest",
    ],
    [{ outcome: "paused", reason: "probe failed" }, "web-1 paused 2026-11-22T14:02:11Z probe failed"],
  ] as [Partial<CommitOutcome>, string][])("%o → %s", (o, expected) => {
    expect(line(o)).toBe(expected);
  });

  it("flattens a multi-line reason into one line and caps it", () => {
    expect(line({ outcome: "rolled-back", reason: "gate failed:\n  web-1: exited 3\n\tlast output: boom" })).toBe(
      "web-1 rolled-back 2026-11-22T14:02:11Z gate failed: web-1: exited 3 last output: boom",
    );
    expect(line({ outcome: "rolled-back", reason: "health gate failed: web-1: http 404\n  hint: Fix the release in Git" })).toBe(
      "web-1 rolled-back 2026-11-22T14:02:11Z health gate failed: web-1: http 404",
    );
    const long = line({ outcome: "rejected", reason: "x".repeat(1000) });
    expect(long.split(" ").at(-1)).toHaveLength(MAX_DETAIL_CHARS);
    expect(long.endsWith("…")).toBe(true);
    expect(oneLine("a\u0000b\u001bc")).toBe("a b c");
  });

  it("is the same text for the same outcome (lines are merged by exact text)", () => {
    const o: CommitOutcome = { commit, hostId: "h", outcome: "rolled-back", at: "2026-11-22T14:03:40.001Z", reason: "r" };
    expect(formatNoteLine(noteLineFor(o))).toBe(formatNoteLine(noteLineFor({ ...o })));
  });

  it("parses its own lines back and refuses other text", () => {
    expect(parseNoteLine("web-2 rolled-back 2026-11-22T14:03:40Z health: web-1 http 500 on /healthz")).toEqual({
      host: "web-2",
      verb: "rolled-back",
      at: "2026-11-22T14:03:40Z",
      detail: "health: web-1 http 500 on /healthz",
    });
    expect(parseNoteLine("Reviewed by Ann")).toBeUndefined();
    expect(parseNoteLine("web-1 deployed 2026-11-22T14:03:40Z ok")).toBeUndefined();
  });

  it("writes times in UTC to the second", () => {
    expect(noteTime("2026-11-22T15:02:11.999+01:00")).toBe("2026-11-22T14:02:11Z");
    expect(() => noteTime("yesterday")).toThrow();
  });
});

describe("note lines name the image signers of an applied commit", () => {
  const signers = ["key SHA256:AbC+/1 (2)", "keyless https://ci.example/acme/web/.github/workflows/release.yml@refs/heads/main (https://token.ci.example) (1)"];

  it("writes them after `healthy` and reads them back", () => {
    const text = line({ imageSigners: signers });
    expect(text).toBe(`web-1 applied 2026-11-22T14:02:11Z healthy; images signed by ${signers.join(", ")}`);
    expect(parseNoteLine(text)).toEqual({
      host: "web-1",
      verb: "applied",
      at: "2026-11-22T14:02:11Z",
      detail: `healthy; images signed by ${signers.join(", ")}`,
      imageSigners: signers,
    });
  });

  it("reads the lines of an older gitdock as before, and only applied lines for signers", () => {
    expect(parseNoteLine("web-1 applied 2026-11-22T14:02:11Z healthy")).toEqual({
      host: "web-1",
      verb: "applied",
      at: "2026-11-22T14:02:11Z",
      detail: "healthy",
    });
    const rejected = "web-3 rejected 2026-11-22T14:02:11Z policy: a.yaml:1:1: x; images signed by key SHA256:x (1)";
    expect(parseNoteLine(rejected)?.imageSigners).toBeUndefined();
    expect(parseNoteLine("web-1 applied 2026-11-22T14:02:11Z healthy; images signed by ")?.imageSigners).toBeUndefined();
  });

  it("leaves a rolled-back line's reason alone", () => {
    expect(line({ outcome: "rolled-back", reason: "health gate failed", imageSigners: signers })).toBe(
      "web-1 rolled-back 2026-11-22T14:02:11Z health gate failed",
    );
  });

  it("reads a signed line: the signature is not part of the detail, and outcomeLineOf keeps the signed text apart", () => {
    const text = "web-1 rolled-back 2026-11-22T14:03:40Z health: web-1 http 500 on /healthz sshsig:U1NIU0lH+/0=";
    expect(parseNoteLine(text)?.detail).toBe("health: web-1 http 500 on /healthz");
    expect(outcomeLineOf(text)).toEqual({
      host: "web-1",
      verb: "rolled-back",
      at: "2026-11-22T14:03:40Z",
      detail: "health: web-1 http 500 on /healthz",
      line: "web-1 rolled-back 2026-11-22T14:03:40Z health: web-1 http 500 on /healthz",
      signature: "U1NIU0lH+/0=",
    });
    expect(outcomeLineOf("Reviewed by Ann")).toBeUndefined();
  });
});
