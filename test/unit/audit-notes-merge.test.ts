import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addPending, mergeLines, mergeNotes, noteLines, noteText, type Notes } from "../../src/audit/merge-notes.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("note text", () => {
  it("splits lines, drops blank lines and duplicates, and writes them back with a final newline", () => {
    expect(noteLines("web-1 applied t healthy\n\nweb-2 applied t healthy\r\nweb-1 applied t healthy\n")).toEqual([
      "web-1 applied t healthy",
      "web-2 applied t healthy",
    ]);
    expect(noteText(["x", "y"])).toBe("x\ny\n");
    expect(noteText([])).toBe("");
    expect(noteLines(noteText(["x", "y"]))).toEqual(["x", "y"]);
  });
});

describe("mergeLines / mergeNotes", () => {
  it("keeps the base's order and appends only new lines", () => {
    expect(mergeLines(["h1 x", "h2 y"], ["h3 z", "h1 x"])).toEqual(["h1 x", "h2 y", "h3 z"]);
  });

  it("unions per commit; commits only on one side are kept", () => {
    const remote: Notes = new Map([[A, ["web-1 applied 2026-11-22T14:02:11Z healthy"]]]);
    const local: Notes = new Map([
      [A, ["web-2 applied 2026-11-22T14:02:12Z healthy", "web-1 applied 2026-11-22T14:02:11Z healthy"]],
      [B, ["web-3 rejected 2026-11-22T14:05:00Z invalid: x"]],
    ]);
    expect(mergeNotes(remote, local)).toEqual(
      new Map([
        [A, ["web-1 applied 2026-11-22T14:02:11Z healthy", "web-2 applied 2026-11-22T14:02:12Z healthy"]],
        [B, ["web-3 rejected 2026-11-22T14:05:00Z invalid: x"]],
      ]),
    );
  });

  it("addPending reports which pending lines were new, once each", () => {
    const base: Notes = new Map([[A, ["l1"]]]);
    const { notes, added } = addPending(base, [
      { commit: A, line: "l1" },
      { commit: A, line: "l2" },
      { commit: A, line: "l2" },
      { commit: B, line: "l3" },
    ]);
    expect(added).toEqual([
      { commit: A, line: "l2" },
      { commit: B, line: "l3" },
    ]);
    expect(notes.get(A)).toEqual(["l1", "l2"]);
    expect(notes.get(B)).toEqual(["l3"]);
    expect(base.get(A)).toEqual(["l1"]); // the input is left alone
  });

  const commit = fc.constantFrom(A, B, "c".repeat(40));
  const line = fc.constantFrom("h1 applied t healthy", "h2 applied t healthy", "h3 rolled-back t health: x", "h1 rejected t invalid");
  const notesArb = fc.array(fc.tuple(commit, fc.array(line, { maxLength: 4 })), { maxLength: 4 }).map((pairs) => mergeNotes(new Map(pairs)));
  const asSet = (n: Notes) => new Set([...n].flatMap(([c, ls]) => ls.map((l) => `${c} ${l}`)));

  it("never loses or doubles a line, whatever the order of merging (property)", () => {
    fc.assert(
      fc.property(notesArb, notesArb, notesArb, (x, y, z) => {
        const one = mergeNotes(mergeNotes(x, y), z);
        const two = mergeNotes(z, mergeNotes(y, x));
        expect(asSet(one)).toEqual(new Set([...asSet(x), ...asSet(y), ...asSet(z)]));
        expect(asSet(one)).toEqual(asSet(two));
        for (const lines of one.values()) expect(new Set(lines).size).toBe(lines.length);
        // Merging again changes nothing.
        expect(mergeNotes(one, x, y, z)).toEqual(one);
      }),
    );
  });
});
