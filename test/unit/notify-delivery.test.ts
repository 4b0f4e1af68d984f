import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openAuditReporting, type AuditReporting } from "../../src/audit/index.js";
import { agentConfigSchema } from "../../src/config/config-schema.js";
import { loadSettings } from "../../src/config/load-settings.js";
import { settingsOf } from "../../src/config/settings.js";
import { ConfigInvalidError } from "../../src/errors.js";
import type { NotificationEvent } from "../../src/notify/index.js";
import type { CommitOutcome } from "../../src/reconcile/context.js";
import { startNotifyReceiver, type Answer, type NotifyReceiver } from "../support/notify-receiver.js";

/**
 * Notifications delivered over real HTTP to local receivers, one per service, through the same
 * path as the agent's (openAuditReporting's outcome listener, the Notifier for fleet events):
 * the payload each service documents, bounded retries, Retry-After, and a pass that never waits.
 */

const commit = "89abcdef0123456789abcdef0123456789abcdef";
const rolledBack: CommitOutcome = {
  commit,
  hostId: "web-1",
  outcome: "rolled-back",
  at: "2026-11-22T14:03:40.000Z",
  reason: "health: web unhealthy",
  durationMs: 640,
};
const healthy: CommitOutcome = { commit, hostId: "web-1", outcome: "healthy", at: "2026-11-22T14:10:00.000Z" };
/** The part of every URL that is its secret, as a webhook URL's token is. */
const SECRET = "XXsecretTOKENXX";
const TUNING = { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 20, timeoutMs: 2_000 };

let dir: string;
const receivers: NotifyReceiver[] = [];
let logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gdt-notify-delivery-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  logLines = [];
});

async function receiver(answer?: (n: number) => Answer | Promise<Answer>): Promise<NotifyReceiver> {
  const r = await startNotifyReceiver(answer);
  receivers.push(r);
  return r;
}

let files = 0;
async function urlFile(url: string): Promise<string> {
  const file = join(dir, `url-${++files}`);
  await writeFile(file, `${url}\n# anything after the first line is ignored\n`, { mode: 0o600 });
  return file;
}

/** The agent's reporting, opened from a config as the agent reads it, logging into logLines. */
async function open(notifications: unknown[]): Promise<AuditReporting> {
  const config = agentConfigSchema.parse({ repo: "/srv/ops", host_id: "agent-7", state_dir: join(dir, "state"), report: { notifications } });
  const log = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
  return openAuditReporting(settingsOf(config, undefined), log, undefined, TUNING);
}

async function passRecords(audit: AuditReporting, o: CommitOutcome): Promise<void> {
  await Promise.all(audit.listeners.map((listen) => listen(o)));
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

describe("delivery to each service's receiver", () => {
  it("posts each service's documented payload, as JSON, to its own URL", async () => {
    const [slack, discord, teams, ntfy, hook] = await Promise.all([receiver(), receiver(), receiver(), receiver(), receiver()]);
    const audit = await open([
      { type: "slack", url_file: await urlFile(`${slack.root}/services/T0/B0/${SECRET}`) },
      { type: "discord", url_file: await urlFile(`${discord.root}/api/webhooks/42/${SECRET}`) },
      { type: "teams", url_file: await urlFile(`${teams.root}/workflows/run/${SECRET}`) },
      { type: "ntfy", url_file: await urlFile(`${ntfy.root}/`), ntfy: { topic: "ops-alerts" } },
      {
        type: "webhook",
        url_file: await urlFile(`${hook.root}/hook/${SECRET}`),
        webhook: { template: '{"event":"{{outcome}}","host":"{{host}}","why":"{{reason}}"}' },
      },
    ]);
    await passRecords(audit, rolledBack);
    await audit.notifier.idle();

    for (const r of [slack, discord, teams, ntfy, hook]) {
      expect(r.received).toHaveLength(1);
      expect(r.received[0]).toMatchObject({ method: "POST", headers: { "content-type": "application/json", "user-agent": "gitdock" } });
    }
    expect(slack.received[0]?.path).toBe(`/services/T0/B0/${SECRET}`);
    const s = json(slack.received[0]!.body);
    expect(s["text"]).toBe("🚨 web-1 rolled back 89abcdef0123");
    expect(Array.isArray(s["blocks"])).toBe(true);

    const d = json(discord.received[0]!.body);
    expect(d).toMatchObject({ content: "🚨 web-1 rolled back 89abcdef0123", allowed_mentions: { parse: [] } });
    expect((d["embeds"] as unknown[]).length).toBe(1);

    const t = json(teams.received[0]!.body) as { type: string; attachments: { contentType: string; content: { type: string; version: string } }[] };
    expect(t.type).toBe("message");
    expect(t.attachments[0]).toMatchObject({ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", version: "1.4" } });

    expect(ntfy.received[0]?.path).toBe("/");
    expect(json(ntfy.received[0]!.body)).toMatchObject({
      topic: "ops-alerts",
      title: "web-1 rolled back 89abcdef0123",
      priority: 4,
      tags: ["rotating_light", "rolled-back"],
    });

    expect(json(hook.received[0]!.body)).toEqual({ event: "rolled-back", host: "web-1", why: "health: web unhealthy" });
  });

  it("logs each target by its type and host name, never its URL", async () => {
    const slack = await receiver((n) => ({ status: n === 1 ? 500 : 200 }));
    const audit = await open([{ type: "slack", url_file: await urlFile(`${slack.root}/services/T0/B0/${SECRET}`) }]);
    await passRecords(audit, rolledBack);
    await audit.notifier.idle();
    expect(logLines.join("")).not.toContain(SECRET);
    const delivered = logLines.map((l) => json(l)).find((l) => l["msg"] === "slack notification delivered");
    expect(delivered).toMatchObject({ target: "slack", targetHost: "127.0.0.1", event: "rolled-back", commit, attempt: 2 });
  });

  it("sends each target only the events it asked for, fleet events included", async () => {
    const [everything, heldOnly] = await Promise.all([receiver(), receiver()]);
    const audit = await open([
      {
        type: "webhook",
        url_file: await urlFile(`${everything.root}/all`),
        webhook: { template: '{"e":"{{outcome}}","wave":"{{wave}}","hosts":"{{hosts}}"}' },
      },
      { type: "discord", url_file: await urlFile(`${heldOnly.root}/held`), events: ["commit-held"] },
    ]);
    await passRecords(audit, healthy);
    audit.notifier.send({ kind: "wave-advanced", commit, wave: "second", hosts: ["web-2", "web-3"], at: "2026-11-22T15:00:00.000Z" });
    audit.notifier.send({ kind: "commit-held", commit, host: "web-2", reason: "health: api unhealthy", at: "2026-11-22T15:05:00.000Z" });
    await audit.notifier.idle();
    expect(everything.received.map((r) => json(r.body))).toEqual([
      { e: "healthy", wave: "", hosts: "" },
      { e: "wave-advanced", wave: "second", hosts: "web-2, web-3" },
      { e: "commit-held", wave: "", hosts: "" },
    ]);
    expect(heldOnly.received).toHaveLength(1);
    expect(json(heldOnly.received[0]!.body)["content"]).toBe("🚨 89abcdef0123 held fleet-wide: web-2 reported it failed");
  });
});

describe("a caller that can never be failed", () => {
  it("logs and drops an event it cannot read, and goes on with the next; with no target configured it adds no listener", async () => {
    const hook = await receiver();
    const audit = await open([{ type: "webhook", url_file: await urlFile(`${hook.root}/h`), webhook: { template: '{"e":"{{outcome}}"}' } }]);
    const broken = { kind: "wave-advanced", commit, wave: "second", hosts: undefined, at: "2026-11-22T15:00:00.000Z" } as unknown as NotificationEvent;
    expect(() => audit.notifier.send(broken)).not.toThrow();
    audit.notifier.send({ kind: "commit-held", commit, host: "web-2", reason: "health: x", at: "2026-11-22T15:05:00.000Z" });
    await audit.notifier.idle();
    expect(hook.received.map((r) => json(r.body))).toEqual([{ e: "commit-held" }]);
    expect(logLines.map((l) => json(l)).find((l) => l["msg"] === "could not read a notification's event; not sent")).toMatchObject({ event: "wave-advanced" });

    const none = await open([]);
    expect(none.listeners).toHaveLength(0);
    expect(none.notifier.size).toBe(0);
    none.notifier.send({ kind: "outcome", outcome: healthy });
    await none.notifier.idle();
  });
});

describe("bounded retries that never hold up a pass", () => {
  it("retries a 500 and a 429 (its hour-long Retry-After capped), then stops at the 200", async () => {
    const answers: Answer[] = [{ status: 500 }, { status: 429, headers: { "Retry-After": "3600" } }, { status: 200 }];
    const flaky = await receiver((n) => answers[n - 1] ?? { status: 200 });
    const audit = await open([{ type: "slack", url_file: await urlFile(`${flaky.root}/s`), max_attempts: 5 }]);
    await passRecords(audit, rolledBack);
    await audit.notifier.idle();
    expect(flaky.received).toHaveLength(3);
    expect(new Set(flaky.received.map((r) => r.body)).size).toBe(1);
    const retried = logLines.map((l) => json(l)).filter((l) => l["msg"] === "slack notification delivery failed; retrying");
    expect(retried.map((l) => l["error"])).toEqual(["HTTP 500", "HTTP 429"]);
  });

  it("makes max_attempts attempts at a receiver that always fails, while the pass and the other targets go on", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    // Holds every answer until released, then fails: the pass must not be waiting on it.
    const dead = await receiver(async () => (await released, { status: 503 }));
    const alive = await receiver();
    const audit = await open([
      { type: "teams", url_file: await urlFile(`${dead.root}/dead`), max_attempts: 3 },
      { type: "ntfy", url_file: await urlFile(`${alive.root}/`), ntfy: { topic: "ops" } },
    ]);

    await passRecords(audit, rolledBack); // returns while the dead receiver still holds the first request
    await dead.waitForRequests(1);
    await alive.waitForRequests(1);
    expect(dead.received).toHaveLength(1);

    release();
    await audit.notifier.idle();
    expect(dead.received).toHaveLength(3);
    const gaveUp = logLines.map((l) => json(l)).find((l) => l["msg"] === "teams notification not delivered; giving up on it");
    expect(gaveUp).toMatchObject({ target: "teams", attempt: 3, error: "HTTP 503" });
  });

  it("gives up at once on a 4xx that retrying the same body cannot fix", async () => {
    const refusing = await receiver(() => ({ status: 400 }));
    const audit = await open([{ type: "discord", url_file: await urlFile(`${refusing.root}/d`), max_attempts: 5 }]);
    await passRecords(audit, rolledBack);
    await audit.notifier.idle();
    expect(refusing.received).toHaveLength(1);
  });
});

describe("configuration", () => {
  it("fails at startup on a url_file that cannot be read or holds no http(s) URL, without quoting the URL", async () => {
    const missing = open([{ type: "slack", url_file: join(dir, "nope") }]);
    await expect(missing).rejects.toBeInstanceOf(ConfigInvalidError);
    await expect(missing).rejects.toMatchObject({
      code: "GITDOCK_E_CONFIG_INVALID",
      message: expect.stringMatching(/^cannot read report\.notifications\.0\.url_file .*nope: ENOENT/),
    });

    const ftp = await urlFile(`ftp://files.example/${SECRET}`);
    const err = await open([
      { type: "ntfy", url_file: await urlFile("https://ntfy.sh/"), ntfy: { topic: "x" } },
      { type: "webhook", url_file: ftp, webhook: { template: "{}" } },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as Error).message).toBe(`report.notifications.1.url_file ${ftp}: the first line is not an http:// or https:// URL`);
    expect(JSON.stringify(err)).not.toContain(SECRET);
  });

  it("places each problem of a target at its file:line:col", async () => {
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      [
        "repo: /srv/ops",
        "report:",
        "  notifications:",
        "    - type: ntfy",
        "      url_file: /etc/gitdock/ntfy-url",
        "    - type: webhook",
        "      url_file: /etc/gitdock/hook-url",
        "      webhook:",
        "        template: '{\"host\": {{host}}}'",
        "    - type: slack",
        "      url_file: /etc/gitdock/slack-url",
        "      events: [healthy, exploded]",
        "",
      ].join("\n"),
    );
    const err = await loadSettings({ config: file, stateDir: join(dir, "s") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    const problems = (err as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${file}:4:7: report\\.notifications\\.0\\.ntfy: a target of type ntfy needs its ntfy section`)),
      expect.stringMatching(new RegExp(`^${file}:9:19: report\\.notifications\\.1\\.webhook\\.template: is not JSON once its placeholders are filled in`)),
      expect.stringMatching(new RegExp(`^${file}:12:25: report\\.notifications\\.2\\.events\\.1: `)),
    ]);
  });
});
