import { describe, expect, it } from "vitest";
import { templateProblem } from "../../src/config/webhook-template.js";
import { summarize, type NotificationSource } from "../../src/notify/event-summary.js";
import { DISCORD_LIMITS, formatDiscord } from "../../src/notify/format-discord.js";
import { escapeMarkdown } from "../../src/notify/escape-markdown.js";
import { formatNtfy, NTFY_MESSAGE_MAX_BYTES } from "../../src/notify/format-ntfy.js";
import { escapeMrkdwn, formatSlack } from "../../src/notify/format-slack.js";
import { formatTeams } from "../../src/notify/format-teams.js";
import { formatWebhook } from "../../src/notify/format-webhook.js";
import type { NotificationEvent } from "../../src/notify/notification-event.js";
import { retryAfterMs } from "../../src/notify/retry-after.js";
import { clip, clipBytes } from "../../src/notify/text-limits.js";
import type { CommitOutcome } from "../../src/reconcile/context.js";

/**
 * Each service's formatter, against the payload shape its documentation gives: required fields,
 * length limits, escaping. The summary reads only an outcome's vetted fields.
 */

const commit = "0123456789abcdef0123456789abcdef01234567";
const source: NotificationSource = { hostId: "agent-7", repo: "https://git.example/ops.git", branch: "main", path: "hosts/web-1" };
const outcome = (o: Partial<CommitOutcome> = {}): NotificationEvent => ({
  kind: "outcome",
  outcome: { commit, hostId: "web-1", outcome: "rolled-back", at: "2026-11-22T14:03:40.000Z", reason: "health: web unhealthy", durationMs: 812, ...o },
});
const waveAdvanced: NotificationEvent = { kind: "wave-advanced", commit, wave: "second", hosts: ["web-2", "web-3"], at: "2026-11-22T15:00:00.000Z" };
const commitHeld: NotificationEvent = { kind: "commit-held", commit, host: "web-1", reason: "health: web unhealthy", at: "2026-11-22T15:01:00.000Z" };
const hostile = '<!channel> & <https://evil.example|click> @everyone <@123> "quoted"\nnext line';
const long = "ü".repeat(9000) + "😀".repeat(500);

const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

/** Every string anywhere in a JSON value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

describe("the event summary", () => {
  it("reads only the vetted fields of an outcome: nothing else it carries reaches any service", () => {
    const withOutput = {
      ...outcome(),
      outcome: { ...(outcome() as { outcome: CommitOutcome }).outcome, excerpt: "CONTAINER-SAID-THIS", env: { TOKEN: "hunter2" } },
    };
    const s = summarize(withOutput, source);
    const template = '{"all":"{{outcome}} {{host}} {{commit}} {{reason}} {{at}} {{duration_ms}} {{image_signers}} {{title}} {{agent}} {{repo}}"}';
    for (const r of [formatSlack(s), formatDiscord(s), formatTeams(s), formatNtfy(s, { topic: "ops", priority: undefined }), formatWebhook(s, template)]) {
      expect(r.body).not.toContain("CONTAINER-SAID-THIS");
      expect(r.body).not.toContain("hunter2");
      expect(r.body).toContain("health: web unhealthy");
    }
  });

  it("says which host did what with which commit, and why, for outcomes and fleet events", () => {
    expect(summarize(outcome(), source)).toMatchObject({ name: "rolled-back", tone: "bad", title: "🚨 web-1 rolled back 0123456789ab" });
    expect(summarize(outcome({ outcome: "healthy", reason: undefined, durationMs: undefined }), source)).toMatchObject({ name: "healthy", tone: "good" });
    const wave = summarize(waveAdvanced, source);
    expect(wave).toMatchObject({ name: "wave-advanced", tone: "good", title: "✅ 0123456789ab advanced to wave second" });
    expect(wave.facts).toContainEqual({ name: "Hosts", value: "web-2, web-3" });
    const held = summarize(commitHeld, source);
    expect(held).toMatchObject({ name: "commit-held", tone: "bad", title: "🚨 0123456789ab held fleet-wide: web-1 reported it failed" });
    expect(held.facts).toContainEqual({ name: "Reason", value: "health: web unhealthy" });
    expect(held.values).toMatchObject({ outcome: "commit-held", host: "web-1", commit, short_commit: "0123456789ab", wave: "", agent: "agent-7" });
  });
});

describe("Slack (incoming webhook: text and Block Kit blocks)", () => {
  it("sends text as the fallback and sections of mrkdwn, within Slack's limits", () => {
    const body = bodyOf(formatSlack(summarize(outcome(), source))) as {
      text: string;
      blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[] }[];
    };
    expect(body.text).toBe("🚨 web-1 rolled back 0123456789ab");
    expect(body.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: "*🚨 web-1 rolled back 0123456789ab*" } });
    const fields = body.blocks[1]?.fields ?? [];
    expect(fields).toContainEqual({ type: "mrkdwn", text: "*Reason*\nhealth: web unhealthy" });
    expect(fields.length).toBeLessThanOrEqual(10);
    expect(body.blocks.at(-1)?.type).toBe("context");
  });

  it("escapes &, < and > everywhere, so no text can link or mention (<!channel>)", () => {
    expect(escapeMrkdwn("a & <b> &amp;")).toBe("a &amp; &lt;b&gt; &amp;amp;");
    const request = formatSlack(summarize(outcome({ reason: hostile }), source));
    for (const text of stringsIn(bodyOf(request))) {
      expect(text).not.toMatch(/[<>]/);
      expect(text.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
    }
    expect(request.body).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
  });

  it("cuts a long reason to a field's 2,000 characters and a section's 3,000", () => {
    const body = bodyOf(formatSlack(summarize(outcome({ reason: long }), source))) as {
      text: string;
      blocks: { fields?: { text: string }[]; text?: { text: string } }[];
    };
    for (const block of body.blocks) {
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    expect(body.blocks[1]?.fields?.find((f) => f.text.startsWith("*Reason*"))?.text.endsWith("…")).toBe(true);
  });
});

describe("Markdown escaping (Discord and Teams read Markdown)", () => {
  const markup =
    "[docs](https://evil.example) **urgent** _x_ ~~y~~ `z` ||spoiler|| <https://evil.example> # head\n> quote\n- item\n  + item\n12. item\n3) item\n---\n==";

  /** Drops CommonMark's backslash escapes: what a reader sees where nothing is markup. */
  const shown = (escaped: string) => escaped.replace(/\\([!-/:-@[-`{-~])/g, "$1");

  it("puts a backslash before every character that opens markup, so the text reads as it is", () => {
    expect(escapeMarkdown("[docs](https://evil.example)")).toBe("\\[docs\\]\\(https://evil.example\\)");
    expect(escapeMarkdown("**urgent** _x_ ~~y~~ `z` ||s|| <u> #h")).toBe("\\*\\*urgent\\*\\* \\_x\\_ \\~\\~y\\~\\~ \\`z\\` \\|\\|s\\|\\| \\<u\\> \\#h");
    expect(escapeMarkdown("- a\n  + b\n12. c\n3) d\n---\n==")).toBe("\\- a\n  \\+ b\n12\\. c\n3\\) d\n\\---\n\\==");
    expect(escapeMarkdown("a\\b")).toBe("a\\\\b");
    for (const text of [markup, "web-1 rolled back 0123456789ab", "health: web unhealthy (exit 1)", "a\\*b"]) expect(shown(escapeMarkdown(text))).toBe(text);
  });

  it("leaves gitdock's plain words, hyphens inside words and numbers inside a line as they are", () => {
    expect(escapeMarkdown("health: web-1 unhealthy after 2.5 s")).toBe("health: web-1 unhealthy after 2.5 s");
  });

  it("reaches every text of a Discord message and of a Teams card", () => {
    const s = summarize(outcome({ reason: markup, hostId: "web-1" }), source);
    const discord = bodyOf(formatDiscord(s)) as { content: string; embeds: { fields: { name: string; value: string }[] }[] };
    expect(discord.embeds[0]?.fields).toContainEqual(expect.objectContaining({ name: "Reason", value: escapeMarkdown(markup) }));
    const teams = bodyOf(formatTeams({ ...s, title: markup })) as {
      attachments: { content: { body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] } }[];
    };
    const card = teams.attachments[0]!.content.body;
    expect(card[0]?.text).toBe(escapeMarkdown(markup));
    expect(card.find((b) => b.type === "FactSet")?.facts).toContainEqual({ title: "Reason", value: escapeMarkdown(markup) });
    for (const text of [...stringsIn(discord), ...stringsIn(teams)]) {
      expect(text).not.toMatch(/(^|[^\\])\[[^\]]*[^\\]\]\(/); // no masked link
      expect(text).not.toMatch(/(^|[^\\])\*\*/); // no bold
    }
  });

  it("cuts a long value after escaping, so a cut never leaves half an escape that opens markup", () => {
    const s = summarize(outcome({ reason: "[x](y) ".repeat(400) }), source);
    const body = bodyOf(formatDiscord(s)) as { embeds: { fields: { name: string; value: string }[] }[] };
    const reason = body.embeds[0]!.fields.find((f) => f.name === "Reason")!.value;
    expect(reason.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    expect(reason.endsWith("…")).toBe(true);
    expect(reason).not.toMatch(/(^|[^\\])[[\]()]/);
  });
});

describe("Discord (execute webhook: content, embeds, allowed_mentions)", () => {
  it("sends the title as content and the facts as one embed, with every mention disabled", () => {
    const body = bodyOf(formatDiscord(summarize(outcome({ reason: hostile }), source))) as {
      content: string;
      allowed_mentions: unknown;
      embeds: { color: number; timestamp: string; fields: { name: string; value: string; inline: boolean }[]; footer: { text: string } }[];
    };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content).toBe("🚨 web-1 rolled back 0123456789ab");
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]?.color).toBe(0xe01e5a);
    expect(body.embeds[0]?.timestamp).toBe("2026-11-22T14:03:40.000Z");
    expect(body.embeds[0]?.fields).toContainEqual({ name: "Reason", value: escapeMarkdown(hostile), inline: false });
    expect(body.embeds[0]?.fields).toContainEqual({ name: "Host", value: "web-1", inline: true });
  });

  it("keeps within content 2,000, field value 1,024 and the embed's 6,000 in all", () => {
    const s = summarize(outcome({ reason: long, imageSigners: [long, long] }), { ...source, repo: long });
    const body = bodyOf(formatDiscord({ ...s, title: long })) as {
      content: string;
      embeds: { fields: { name: string; value: string }[]; footer: { text: string } }[];
    };
    expect(body.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    const embed = body.embeds[0]!;
    expect(embed.fields.length).toBeGreaterThan(2);
    for (const f of embed.fields) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    const total = embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0) + embed.footer.text.length;
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
  });
});

describe("Microsoft Teams (Workflows webhook: an Adaptive Card in a message)", () => {
  it("wraps one Adaptive Card 1.4 with a TextBlock title and a FactSet", () => {
    const body = bodyOf(formatTeams(summarize(commitHeld, source))) as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: { type: string; text?: string; color?: string; facts?: { title: string; value: string }[] }[] };
      }[];
    };
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const card = body.attachments[0]!;
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.content.body[0]).toMatchObject({ type: "TextBlock", text: "🚨 0123456789ab held fleet-wide: web-1 reported it failed", color: "Attention" });
    const facts = card.content.body.find((b) => b.type === "FactSet")?.facts ?? [];
    expect(facts).toContainEqual({ title: "Host", value: "web-1" });
    expect(facts).toContainEqual({ title: "Commit", value: commit });
    for (const f of facts) expect(typeof f.title === "string" && typeof f.value === "string").toBe(true);
  });
});

describe("ntfy (publish as JSON to the server's root)", () => {
  it("sends topic, title, message, tags and a priority (4 for failures, 3 otherwise, or the configured one)", () => {
    const failed = bodyOf(formatNtfy(summarize(outcome(), source), { topic: "ops-alerts", priority: undefined }));
    expect(failed).toMatchObject({ topic: "ops-alerts", title: "web-1 rolled back 0123456789ab", tags: ["rotating_light", "rolled-back"], priority: 4 });
    expect(failed["message"]).toContain("Reason: health: web unhealthy");
    const good = bodyOf(formatNtfy(summarize(waveAdvanced, source), { topic: "ops-alerts", priority: undefined }));
    expect(good).toMatchObject({ tags: ["white_check_mark", "wave-advanced"], priority: 3 });
    expect(bodyOf(formatNtfy(summarize(waveAdvanced, source), { topic: "t", priority: 5 }))["priority"]).toBe(5);
  });

  it("keeps the message within ntfy's 4,096 bytes, counted in UTF-8", () => {
    const body = bodyOf(formatNtfy(summarize(outcome({ reason: long }), source), { topic: "t", priority: undefined }));
    expect(Buffer.byteLength(body["message"] as string)).toBeLessThanOrEqual(NTFY_MESSAGE_MAX_BYTES);
    expect(Buffer.byteLength(body["message"] as string)).toBeGreaterThan(NTFY_MESSAGE_MAX_BYTES - 8);
  });
});

describe("a generic webhook (the user's template)", () => {
  const template = '{"text": "{{host}} {{ outcome }}: {{reason}}", "commit": "{{commit}}", "wave": "{{wave}}", "hosts": "{{hosts}}"}';

  it("puts each value in JSON-escaped: a quote or a newline in a reason neither ends the string nor adds a key", () => {
    const request = formatWebhook(summarize(outcome({ reason: hostile }), source), template);
    expect(request.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({ text: `web-1 rolled-back: ${hostile}`, commit, wave: "", hosts: "" });
    expect(JSON.parse(formatWebhook(summarize(waveAdvanced, source), template).body)).toMatchObject({
      text: " wave-advanced: ",
      wave: "second",
      hosts: "web-2, web-3",
    });
  });

  it("is checked before the agent starts: known placeholders only, and only inside JSON strings", () => {
    expect(templateProblem(template)).toBeUndefined();
    expect(templateProblem('{"a":"{{hostname}}"}')).toMatch(/^unknown placeholder \{\{hostname\}\}; known: \{\{outcome\}\}/);
    expect(templateProblem('{"hosts": {{hosts}}}')).toMatch(/^is not JSON once its placeholders are filled in/);
    expect(templateProblem('{"a": "{{host}}"')).toMatch(/is not JSON/);
  });
});

describe("text limits and Retry-After", () => {
  it("cuts to a length with … and never splits a surrogate pair or a UTF-8 sequence", () => {
    expect(clip("abcdef", 6)).toBe("abcdef");
    expect(clip("abcdef", 4)).toBe("abc…");
    expect(clip("ab😀cd", 4)).toBe("ab…");
    expect(clipBytes("ééé", 6)).toBe("ééé");
    expect(clipBytes("éééé", 6)).toBe("é…");
    expect(Buffer.byteLength(clipBytes("😀".repeat(10), 9))).toBeLessThanOrEqual(9);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-11-22T14:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("0.5", now)).toBe(500);
    expect(retryAfterMs("Sun, 22 Nov 2026 14:00:10 GMT", now)).toBe(10_000);
    expect(retryAfterMs("Sun, 22 Nov 2026 13:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });
});
