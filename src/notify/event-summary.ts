import type { NotificationEventName } from "../config/report-section.js";
import type { TemplateValues } from "../config/webhook-template.js";
import { eventName, type NotificationEvent } from "./notification-event.js";

/** Where the agent that sends a notification gets its commits from, and its own name. */
export interface NotificationSource {
  hostId: string;
  repo: string | undefined;
  branch: string;
  path: string;
}

/** How an event reads for people: every formatter renders this, and nothing else of the event. */
export interface EventSummary {
  name: NotificationEventName;
  tone: "good" | "bad" | "warn";
  /** One line of plain text, the service's formatting not applied. */
  title: string;
  /** The title without its leading emoji (ntfy shows its tags' emoji in front). */
  headline: string;
  /** Label and value pairs, in order; absent values left out. */
  facts: { name: string; value: string }[];
  at: string;
  /** The generic webhook's placeholders. */
  values: TemplateValues;
}

const TONE: Record<NotificationEventName, EventSummary["tone"]> = {
  healthy: "good",
  "wave-advanced": "good",
  paused: "warn",
  "rolled-back": "bad",
  rejected: "bad",
  "commit-held": "bad",
  withdrawn: "warn",
};

const ICON: Record<EventSummary["tone"], string> = { good: "✅", warn: "⏸️", bad: "🚨" };

/**
 * The summary of an event. Of an outcome it reads only the fields a deployment marker carries
 * (buildMarker in src/audit/marker.ts): gitdock's own words, never what a container printed.
 */
export function summarize(event: NotificationEvent, source: NotificationSource): EventSummary {
  const name = eventName(event);
  const parts = partsOf(event);
  const short = parts.commit.slice(0, 12);
  const line = headline(event, short);
  const title = `${ICON[TONE[name]]} ${line}`;
  const facts = [
    fact("Host", parts.host),
    fact("Hosts", parts.hosts),
    fact("Wave", parts.wave),
    fact("Commit", parts.commit),
    fact("Reason", parts.reason),
    fact("Rollback took", parts.durationMs && `${parts.durationMs} ms`),
    fact("Images signed by", parts.imageSigners),
    fact("Repository", source.repo && `${source.repo} ${source.branch}${source.path ? ` ${source.path}` : ""}`),
    fact("Reported by", source.hostId),
  ].filter((f) => f !== undefined);
  const values: TemplateValues = {
    outcome: name,
    host: parts.host,
    commit: parts.commit,
    short_commit: short,
    reason: parts.reason,
    at: parts.at,
    duration_ms: parts.durationMs,
    image_signers: parts.imageSigners,
    wave: parts.wave,
    hosts: parts.hosts,
    title,
    agent: source.hostId,
    repo: source.repo ?? "",
    branch: source.branch,
    path: source.path,
  };
  return { name, tone: TONE[name], title, headline: line, facts, at: parts.at, values };
}

interface Parts {
  host: string;
  hosts: string;
  wave: string;
  commit: string;
  reason: string;
  at: string;
  durationMs: string;
  imageSigners: string;
}

function partsOf(event: NotificationEvent): Parts {
  const none = { host: "", hosts: "", wave: "", reason: "", durationMs: "", imageSigners: "" };
  switch (event.kind) {
    case "outcome": {
      const o = event.outcome;
      return {
        ...none,
        host: o.hostId,
        commit: o.commit,
        at: o.at,
        reason: o.reason ?? "",
        durationMs: o.durationMs === undefined ? "" : String(o.durationMs),
        imageSigners: (o.imageSigners ?? []).join(", "),
      };
    }
    case "wave-advanced":
      return { ...none, commit: event.commit, at: event.at, wave: event.wave, hosts: event.hosts.join(", ") };
    case "commit-held":
      return { ...none, commit: event.commit, at: event.at, host: event.host, reason: event.reason };
  }
}

function headline(event: NotificationEvent, short: string): string {
  switch (event.kind) {
    case "outcome": {
      const host = event.outcome.hostId;
      const verb = { healthy: "runs", "rolled-back": "rolled back", rejected: "rejected", paused: "paused at", withdrawn: "withdrew" }[event.outcome.outcome];
      return event.outcome.outcome === "healthy" ? `${host} ${verb} ${short}, healthy` : `${host} ${verb} ${short}`;
    }
    case "wave-advanced":
      return `${short} advanced to wave ${event.wave}`;
    case "commit-held":
      return `${short} held fleet-wide: ${event.host} reported it failed`;
  }
}

function fact(name: string, value: string | undefined): { name: string; value: string } | undefined {
  return value ? { name, value } : undefined;
}
