/**
 * `gitdock run`: the long-running agent. It reconciles on
 *   - a poll of the branch every `interval` (± jitter), or after a failed pass with backoff,
 *   - a push webhook (POST /hooks/git) and a manual sync (POST /sync with the control token,
 *     `gitdock sync --now`): the only trigger a sync window's `manual_sync` lets through,
 *   - an Engine event on one of its containers (die, destroy, stop, kill, health_status: unhealthy),
 *   - a container found changed in place (an exec session, its writable layer; src/in-place),
 *   - a change of a local repository's branch refs (`--repo` a path),
 *   - SIGHUP, after re-reading the config file.
 * Passes run one at a time; triggers that arrive during one coalesce into one more (PassScheduler).
 * A failed pass never stops the loop. SIGTERM stops the triggers, lets a running pass finish, rolls
 * it back through `ctx.signal` only once `shutdown_timeout` has passed, and exits 0.
 */
import { readFile } from "node:fs/promises";
import { formatListen } from "../config/agent-section.js";
import type { Settings } from "../config/settings.js";
import { ConfigInvalidError } from "../errors.js";
import type { Logger } from "../log.js";
import type { CommitOutcome } from "../reconcile/context.js";
import type { ReconcileContext } from "../reconcile/reconcile.js";
import { parseRepoLocation } from "../source/index.js";
import type { AgentStatus, PassRecord } from "./agent-status.js";
import { nextDelay, jittered } from "./backoff.js";
import { watchDockerEvents, type ContainerEvent, type EventWatch } from "./docker-events.js";
import { newControlToken, writeControlToken } from "./control-token.js";
import { createRequestHandler, startHttpServer, type HttpDeps, type RunningServer } from "./http-server.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { PassScheduler, type Trigger } from "./pass-scheduler.js";
import { RecentDeliveries } from "./recent-deliveries.js";
import { startInPlaceWatch, type InPlaceWiring } from "./in-place-wiring.js";
import { RepairBudget } from "./repair-budget.js";
import { watchRepoRefs, type RepoWatch } from "./repo-watcher.js";
import { runPass, type PassDeps } from "./run-pass.js";
import { secretFromFileContent, type WebhookResult } from "./webhook.js";
import { FleetMemory } from "../fleet/fleet-memory.js";

export interface AgentHooks {
  /** Settings from the config file and flags; called again on SIGHUP. */
  loadSettings(): Promise<Settings>;
  /** The reconcile context for settings (src/cli/context.ts). */
  openContext(settings: Settings, log: Logger): Promise<ReconcileContext>;
  /** `gitdock status --json` for settings (src/cli/commands/status.ts). */
  buildStatus(settings: Settings): Promise<unknown>;
  log: Logger;
}

/**
 * A pass starts once the Engine's events have been quiet this long (`docker stop` sends kill, die
 * and stop within ~100 ms), and at most EVENT_MAX_WAIT_MS after the first. The quiet period also
 * matters for correctness: the Engine's container list shows a container as running for up to
 * ~100 ms after its `die` event, and a pass that looked too early would find nothing to repair.
 */
const EVENT_QUIET_MS = 300;
const EVENT_MAX_WAIT_MS = 2_000;
/** After the shutdown timeout aborted the rollout, how long its rollback may take before giving up. */
const ABORT_GRACE_MS = 60_000;
/** How long a stopping agent waits for markers and notifications still in flight. */
const REPORTS_GRACE_MS = 5_000;
/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Agent {
  private settings: Settings;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly status: AgentStatus;
  private readonly deps: PassDeps;
  private readonly scheduler: PassScheduler<PassRecord>;
  private readonly stopCtl = new AbortController();
  private readonly abortCtl: AbortController;
  private webhookSecret: Buffer;
  /** Written to <state_dir>/agent.token at start; POST /sync and GET /status require it. */
  private readonly controlToken: string;
  private readonly deliveries = new RecentDeliveries();
  private server: RunningServer | undefined;
  private events: EventWatch | undefined;
  private watcher: RepoWatch | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  private eventDetails: string[] = [];
  /** The in-place watch (drift.in_place), unless it is off. */
  private readonly inPlace: InPlaceWiring;
  private firstEventAt = 0;
  private stopped: Promise<number> | undefined;
  private resolveFinished: (code: number) => void = () => {};
  /** Resolves with the exit code once the agent has stopped. */
  readonly finished = new Promise<number>((resolve) => (this.resolveFinished = resolve));

  private constructor(
    private readonly hooks: AgentHooks,
    opened: { settings: Settings; ctx: ReconcileContext; secret: Buffer; metrics: Metrics; abortCtl: AbortController; token: string },
  ) {
    const { settings, ctx, secret } = opened;
    this.controlToken = opened.token;
    this.settings = settings;
    this.metrics = opened.metrics;
    this.abortCtl = opened.abortCtl;
    this.log = hooks.log;
    this.webhookSecret = secret;
    this.status = {
      pid: process.pid,
      hostId: settings.hostId,
      stateDir: settings.stateDir,
      listen: formatListen(settings.agent.listen),
      startedAt: new Date().toISOString(),
      phase: "starting",
      pending: false,
      lastPass: undefined,
      lastSuccessAt: undefined,
      consecutiveErrors: 0,
      nextPollAt: undefined,
      waitingCommit: undefined,
      windows: undefined,
      suppressedRepairs: [],
      lastFailureOutput: undefined,
    };
    this.inPlace = startInPlaceWatch({
      docker: ctx.docker,
      hostId: settings.hostId,
      log: hooks.log,
      registry: this.metrics.registry,
      settings: settings.drift,
      requestPass: (detail) => void this.scheduler.request({ kind: "in-place", detail }),
    });
    this.deps = { ctx: this.inPlace.attach(ctx), metrics: this.metrics, budget: newBudget(settings), status: this.status, stopping: this.stopCtl.signal };
    this.scheduler = new PassScheduler((triggers) => this.pass(triggers));
  }

  /** Open everything, listen, subscribe, and start the first pass. */
  static async start(hooks: AgentHooks): Promise<Agent> {
    const settings = await hooks.loadSettings();
    const secret = await readWebhookSecret(settings, hooks.log);
    const metrics = createMetrics();
    const abortCtl = new AbortController();
    const ctx = await openAgentContext(hooks, settings, metrics, abortCtl.signal);
    // A fresh token at every start, written before the listener opens: a client never finds an
    // agent whose token it cannot read yet.
    const token = newControlToken();
    await writeControlToken(settings.stateDir, token);
    const agent = new Agent(hooks, { settings, ctx, secret, metrics, abortCtl, token });
    agent.server = await startHttpServer(settings.agent.listen, createRequestHandler(agent.httpDeps()));
    agent.status.listen = formatListen(agent.server.address);
    agent.log.info(
      {
        stage: "agent",
        listen: agent.status.listen,
        repo: settings.repo,
        branch: settings.branch,
        hostId: settings.hostId,
        intervalMs: settings.agent.intervalMs,
        windows: settings.agent.syncWindows.length,
      },
      `agent listening on ${agent.status.listen}`,
    );
    agent.subscribe();
    agent.status.phase = "idle";
    void agent.scheduler.request({ kind: "startup" });
    return agent;
  }

  /** Re-read the config file (SIGHUP). An invalid config is logged and the running one kept. */
  async reload(): Promise<void> {
    if (this.stopCtl.signal.aborted) return;
    let next: Settings;
    let ctx: ReconcileContext;
    let secret: Buffer;
    try {
      next = await this.hooks.loadSettings();
      secret = await readWebhookSecret(next, this.log);
      ctx = await openAgentContext(this.hooks, next, this.metrics, this.abortCtl.signal);
      // The clients of a moved state directory must find the token there.
      if (next.stateDir !== this.settings.stateDir) await writeControlToken(next.stateDir, this.controlToken);
    } catch (err) {
      this.log.error({ stage: "reload", err: err instanceof Error ? err.message : String(err) }, "config reload failed; keeping the running config");
      return;
    }
    const prev = this.settings;
    this.settings = next;
    const watching = this.inPlace.watching;
    this.inPlace.configure(next.drift, ctx.docker);
    this.deps.ctx = this.inPlace.attach(ctx);
    this.webhookSecret = secret;
    this.status.hostId = next.hostId;
    this.status.stateDir = next.stateDir;
    if (prev.agent.repairBudget.max !== next.agent.repairBudget.max || prev.agent.repairBudget.windowMs !== next.agent.repairBudget.windowMs) {
      this.deps.budget = newBudget(next);
    }
    if (formatListen(prev.agent.listen) !== formatListen(next.agent.listen)) {
      this.log.warn({ stage: "reload", listen: formatListen(next.agent.listen) }, "the listen address changes only on restart");
    }
    if (
      prev.dockerHost !== next.dockerHost ||
      prev.hostId !== next.hostId ||
      prev.agent.dockerEvents !== next.agent.dockerEvents ||
      prev.repo !== next.repo ||
      prev.agent.watchRepo !== next.agent.watchRepo ||
      watching !== this.inPlace.watching
    ) {
      await this.unsubscribe();
      this.subscribe();
    }
    this.log.info(
      {
        stage: "reload",
        config: next.configFile,
        repo: next.repo,
        branch: next.branch,
        intervalMs: next.agent.intervalMs,
        windows: next.agent.syncWindows.length,
      },
      "config reloaded",
    );
    void this.scheduler.request({ kind: "reload" });
  }

  /**
   * SIGTERM: stop every trigger, let a running pass finish; once `shutdown_timeout` has passed,
   * abort it (a rollout in progress is rolled back and the commit is not marked failed). A second
   * signal aborts at once. Resolves with the exit code.
   */
  stop(): Promise<number> {
    if (this.stopped) {
      if (!this.abortCtl.signal.aborted) {
        this.log.warn({ stage: "shutdown" }, "second stop signal: aborting the pass in progress");
        this.abortCtl.abort();
      }
      return this.stopped;
    }
    this.stopped = this.shutdown();
    void this.stopped.then((code) => this.resolveFinished(code));
    return this.stopped;
  }

  private async shutdown(): Promise<number> {
    const timeoutMs = this.settings.agent.shutdownTimeoutMs;
    this.stopCtl.abort();
    this.status.phase = "stopping";
    this.status.nextPollAt = undefined;
    clearTimeout(this.pollTimer);
    clearTimeout(this.eventTimer);
    await this.unsubscribe();
    this.inPlace.close();
    const busy = this.scheduler.busy;
    this.scheduler.close();
    this.log.info({ stage: "shutdown", timeoutMs }, busy ? "stopping: triggers off; letting the running pass finish" : "stopping: triggers off");
    let hardTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<number>((resolve) => {
      const abortTimer = setTimeout(
        () => {
          this.log.warn({ stage: "shutdown", timeoutMs }, "shutdown timeout passed; aborting the running pass (a rollout in progress is rolled back)");
          this.abortCtl.abort();
          hardTimer = setTimeout(() => {
            this.log.fatal({ stage: "shutdown" }, "the aborted pass did not end; exiting anyway (the next start recovers the interrupted rollout)");
            resolve(1);
          }, ABORT_GRACE_MS);
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      this.abortCtl.signal.addEventListener("abort", () => clearTimeout(abortTimer), { once: true });
      void this.scheduler.idle().then(() => {
        clearTimeout(abortTimer);
        resolve(0);
      });
    });
    const code = await gaveUp;
    clearTimeout(hardTimer);
    await this.settleReports();
    await this.server?.close();
    this.log.info({ stage: "shutdown", code }, "agent stopped");
    return code;
  }

  /** Markers and notifications still being delivered get a few seconds; their retries never hold the stop longer. */
  private async settleReports(): Promise<void> {
    const settled = this.deps.ctx.reportsSettled?.();
    if (!settled) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), REPORTS_GRACE_MS)));
    const r = await Promise.race([settled.then(() => "settled" as const), late]);
    clearTimeout(timer);
    if (r === "late") this.log.warn({ stage: "shutdown" }, "stopping with deployment markers or notifications still undelivered");
  }

  private async pass(triggers: readonly Trigger[]): Promise<PassRecord> {
    clearTimeout(this.pollTimer);
    this.status.nextPollAt = undefined;
    const record = await runPass(this.deps, triggers, this.scheduler.started);
    await this.inPlace.passDone((record.summary?.changed ?? 0) > 0);
    this.schedulePoll();
    return record;
  }

  /** The next poll: `interval` ± jitter after a pass, or a backoff delay after failed ones. */
  private schedulePoll(): void {
    if (this.stopCtl.signal.aborted) return;
    const { intervalMs, jitter, backoff } = this.settings.agent;
    const errors = this.status.consecutiveErrors;
    const poll = jittered(intervalMs, jitter);
    const recheck = this.untilRecheck();
    const delay =
      errors > 0
        ? Math.min(backoff.maxMs, backoff.initialMs + nextDelay(errors - 1, { baseMs: backoff.initialMs, capMs: backoff.maxMs }))
        : Math.min(poll, recheck);
    const kind = errors > 0 ? "retry" : recheck < poll ? "recheck" : "poll";
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.scheduler.request({ kind }), Math.min(delay, MAX_TIMER_MS));
    this.status.nextPollAt = new Date(Date.now() + delay).toISOString();
    if (errors > 0) this.log.info({ stage: "backoff", attempt: errors, delayMs: delay }, `retrying in ${(delay / 1000).toFixed(1)}s`);
  }

  /** The wave rule's next look (a soak or a report timeout ends), at least a second away. */
  private untilRecheck(): number {
    const at = this.status.recheckAt ? Date.parse(this.status.recheckAt) : Number.POSITIVE_INFINITY;
    return Math.max(1000, at - Date.now() + 100);
  }

  private subscribe(): void {
    const s = this.settings;
    if (s.agent.dockerEvents) {
      this.events = watchDockerEvents({
        docker: this.deps.ctx.docker,
        hostId: s.hostId,
        log: this.log,
        backoff: s.agent.backoff,
        onEvent: (e) => this.onDockerEvent(e),
        onReconnect: () => void this.scheduler.request({ kind: "engine-reconnected" }),
        engine: s.engine,
        // Changes in place are a container engine's: a Swarm's tasks are not this agent's containers.
        ...(s.engine === "swarm" ? {} : this.inPlace.eventOptions()),
      });
    }
    const location = s.repo ? parseRepoLocation(s.repo) : undefined;
    if (s.agent.watchRepo && location?.kind === "local") {
      this.watcher = watchRepoRefs({ path: location.path, log: this.log, onChange: (detail) => void this.scheduler.request({ kind: "repo-change", detail }) });
    }
  }

  private async unsubscribe(): Promise<void> {
    this.events?.close();
    this.events = undefined;
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private onDockerEvent(e: ContainerEvent): void {
    const now = Date.now();
    if (!this.eventDetails.length) this.firstEventAt = now;
    this.eventDetails.push(`${e.container} ${e.action}`);
    clearTimeout(this.eventTimer);
    const delay = Math.max(0, Math.min(EVENT_QUIET_MS, this.firstEventAt + EVENT_MAX_WAIT_MS - now));
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      const details = this.eventDetails.splice(0);
      void this.scheduler.request({ kind: "docker-event", detail: details.slice(0, 10).join(", ") });
    }, delay);
  }

  /** The status with what only the scheduler and the event debounce know. */
  private snapshot(): AgentStatus {
    return { ...this.status, pending: this.scheduler.queued || this.eventTimer !== undefined, ...this.inPlace.status() };
  }

  private httpDeps(): HttpDeps {
    return {
      log: this.log,
      access: () => ({
        token: this.controlToken,
        allowedHosts: this.settings.agent.allowedHosts,
        listenHost: this.server?.address.host ?? this.settings.agent.listen.host,
      }),
      deliveries: this.deliveries,
      status: () => this.snapshot(),
      statusReport: () => this.hooks.buildStatus(this.settings),
      metrics: () => this.metrics.exposition(),
      webhookOptions: () => ({
        secret: this.webhookSecret,
        branch: this.settings.branch,
        ...(this.settings.report.gitNotes ? { notesRef: this.settings.report.notesRef } : {}),
        maxBodyBytes: this.settings.agent.webhook.maxBodyBytes,
      }),
      onPush: (p: Extract<WebhookResult, { kind: "push" | "notes" }>) =>
        void this.scheduler.request({ kind: "webhook", detail: p.kind === "notes" ? "notes" : `${p.branch} ${p.after?.slice(0, 12) ?? ""}`.trim() }),
      // The one place a manual trigger is made: the HTTP layer reaches it only with the token.
      sync: () => this.scheduler.request({ kind: "manual" }),
    };
  }
}

/** The reconcile context, with the shutdown abort signal and the metrics' listeners. */
async function openAgentContext(hooks: AgentHooks, settings: Settings, metrics: Metrics, signal: AbortSignal): Promise<ReconcileContext> {
  const ctx = await hooks.openContext(settings, hooks.log);
  return {
    ...ctx,
    signal,
    outcomeListeners: [...(ctx.outcomeListeners ?? []), (o) => countOutcome(metrics, o)],
    onFetch: (f) => metrics.gitFetchFinished(f.durationMs / 1000, f.ok),
    fleet: new FleetMemory(),
  };
}

function countOutcome(metrics: Metrics, o: CommitOutcome): void {
  if (o.outcome === "rolled-back") metrics.rolledBack();
  if (o.outcome === "rolled-back" || o.outcome === "rejected" || o.outcome === "paused") metrics.commitFailed();
}

function newBudget(settings: Settings): RepairBudget {
  return new RepairBudget({ max: settings.agent.repairBudget.max, windowMs: settings.agent.repairBudget.windowMs });
}

async function readWebhookSecret(settings: Settings, log: Logger): Promise<Buffer> {
  const file = settings.agent.webhook.secretFile;
  if (!file) {
    log.info({ stage: "webhook" }, "no webhook secret_file configured: POST /hooks/git refuses every webhook");
    return Buffer.alloc(0);
  }
  try {
    return secretFromFileContent(await readFile(file));
  } catch (err) {
    throw new ConfigInvalidError(`cannot read the webhook secret file ${file}: ${(err as Error).message}`, { hint: "Check agent.webhook.secret_file." });
  }
}
