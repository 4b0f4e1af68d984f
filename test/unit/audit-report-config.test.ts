import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NotesOutbox, OUTBOX_FILE } from "../../src/audit/notes-outbox.js";
import { agentConfigSchema } from "../../src/config/config-schema.js";
import { reportSectionDefaults, reportSectionSchema } from "../../src/config/report-section.js";

describe("report config section", () => {
  it("defaults to no notes and no markers", () => {
    expect(reportSectionDefaults(undefined)).toEqual({ gitNotes: false, notesRef: "refs/notes/gitdock", notify: undefined, notifications: [] });
    expect(reportSectionDefaults({ notify: { url: "http://x/h", secret_file: "/s" } }).notify).toEqual({ url: "http://x/h", secretFile: "/s", maxAttempts: 5 });
  });

  it("accepts the example agent config's report section", async () => {
    const raw = parse(await readFile(new URL("../../examples/agent/config.yaml", import.meta.url), "utf8"));
    const parsed = agentConfigSchema.parse(raw);
    expect(reportSectionDefaults(parsed.report)).toMatchObject({ gitNotes: true, notesRef: "refs/notes/gitdock", notify: { maxAttempts: 5 } });
    expect(reportSectionDefaults(parsed.report).notifications.map((t) => [t.type, t.events.length, t.maxAttempts])).toEqual([
      ["slack", 4, 5],
      ["ntfy", 7, 5],
      ["webhook", 7, 3],
    ]);
  });

  it.each([
    [{ notes_ref: "refs/heads/main" }],
    [{ notes_ref: "refs/notes/../heads/x" }],
    [{ notify: { url: "http://x/h" } }],
    [{ notify: { url: "ftp://x/h", secret_file: "/s" } }],
    [{ notify: { url: "http://x/h", secret_file: "/s", max_attempts: 0 } }],
    [{ git_note: true }],
  ])("refuses %o", (raw) => {
    expect(reportSectionSchema.safeParse(raw).success).toBe(false);
  });
});

describe("notes outbox", () => {
  it("keeps lines across reopenings, once each, and removes only what was published", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-audit-outbox-"));
    try {
      const a = { commit: "a".repeat(40), line: "h1 applied 2026-11-22T14:02:11Z healthy" };
      const b = { commit: "b".repeat(40), line: "h1 rejected 2026-11-22T14:05:00Z invalid: x" };
      const box = await NotesOutbox.open(dir);
      await Promise.all([box.add([a]), box.add([a, b])]);
      expect(await (await NotesOutbox.open(dir)).list()).toEqual([a, b]);
      await box.remove([a]);
      expect(await box.list()).toEqual([b]);
      await writeFile(path.join(dir, OUTBOX_FILE), "{nope");
      await expect(box.list()).rejects.toThrow(/corrupt/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
