/**
 * The running agent's watch over containers changed in place: changes no commit made.
 *
 *  - **exec sessions**, from the Engine's event stream (exec-event.ts): each `exec_start` on one of
 *    this agent's containers, except the ones its Docker healthcheck makes (container-profile.ts),
 *    is a finding with its command (never its environment);
 *  - **the writable layer**, from `GET /containers/{id}/changes`: each running container (not
 *    read-only, not a job or one-shot) is scanned once per `drift.scan_interval`, one container at
 *    a time, spread over the interval; a container is also scanned right after an exec session in
 *    it ends or something is copied into it. Paths under its mounts and its service's
 *    `x-gitdock.writable_paths` do not count (layer-changes.ts). A container is reported once for
 *    its writable layer; later scans only update its counts.
 *
 * A finding is logged (the paths only as a redacted excerpt: file names in a container are its own
 * output), counted, shown in the agent's status, and handed to the next pass, which journals it
 * through the recorder; with `replace`, the observe stage marks the container and the planner
 * replaces it from its image. Findings live in this process: an exec seen by an agent that stops
 * before its next pass is not journaled; a changed writable layer is found again by the next scan.
 */
import type Docker from "dockerode";
import type { DriftSection } from "../config/drift-section.js";
import { engineStatus } from "../engine/docker-client.js";
import { LABEL } from "../labels.js";
import type { Logger } from "../log.js";
import type { ContainerSpec } from "../model.js";
import { runsToCompletion } from "../one-shot.js";
import type { HostSnapshot, ObservedContainer, ResolvedState } from "../plan/types.js";
import { redactedExcerpt, untrusted } from "../untrusted/index.js";
import { profileOf, type ContainerProfile } from "./container-profile.js";
import { inPlaceEventOf, recordedCommand } from "./exec-event.js";
import type { InPlaceKind, InPlaceRecord, InPlaceSource } from "./in-place-source.js";
import { changeCount, changesInPlace, type LayerChange, type LayerVerdict } from "./layer-changes.js";

/** A container found changed in place, as `/status` shows it. */
export interface ChangedContainer {
  container: string;
  stack: string;
  service: string;
  kinds: InPlaceKind[];
  since: string;
  /** The last exec's command, as recorded. */
  command?: string;
  /** The writable layer's counts at the last scan. */
  layer?: { added: number; changed: number; deleted: number };
}

export interface InPlaceStatus {
  mode: "report" | "replace";
  scanIntervalMs: number;
  /** Containers scanned since the agent started. */
  scans: number;
  changed: ChangedContainer[];
}

export interface InPlaceWatchOptions {
  docker: Docker;
  log: Logger;
  settings: DriftSection & { inPlace: "report" | "replace" };
  /** Told of each new finding (metrics, and a pass to journal it). */
  onFinding(record: InPlaceRecord): void;
}

/** A scan after an exec or a copy waits this long, so the writes of a burst are seen together. */
const AFTER_EVENT_MS = 500;
/** At most one scan this often, however many containers share the interval. */
const MIN_SCAN_GAP_MS = 200;
/** Findings kept for the next pass; older ones are dropped (and said so) if passes cannot run. */
const MAX_PENDING = 100;
const MAX_EXCERPT_PATHS = 20;

interface Target {
  container: ObservedContainer;
  scanLayer: boolean;
  allowed: readonly string[];
  spec: ContainerSpec | undefined;
  lastScan: number;
}

interface Flag {
  record: ChangedContainer;
  kinds: Set<InPlaceKind>;
}

export class InPlaceWatch implements InPlaceSource {
  private settings: InPlaceWatchOptions["settings"];
  private readonly profiles = new Map<string, Promise<ContainerProfile | undefined>>();
  private targets = new Map<string, Target>();
  private readonly flags = new Map<string, Flag>();
  private pending: InPlaceRecord[] = [];
  private readonly soon = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  private desired: ResolvedState | undefined;
  /** Exec sessions found (not the healthcheck's): their end asks for a scan of the container. */
  private readonly execs = new Set<string>();
  private scans = 0;
  private closed = false;

  constructor(private readonly opts: InPlaceWatchOptions) {
    this.settings = opts.settings;
    this.schedule();
  }

  get mode(): "report" | "replace" {
    return this.settings.inPlace;
  }

  /** A config reload: the new mode and interval apply from the next scan. */
  configure(settings: InPlaceWatchOptions["settings"]): void {
    this.settings = settings;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const t of this.soon.values()) clearTimeout(t);
    this.soon.clear();
  }

  changed(): ReadonlyMap<string, InPlaceKind[]> {
    return new Map([...this.flags].map(([id, f]) => [id, [...f.kinds].sort()]));
  }

  unrecorded(): InPlaceRecord[] {
    return [...this.pending];
  }

  recorded(records: readonly InPlaceRecord[]): void {
    const done = new Set(records);
    this.pending = this.pending.filter((r) => !done.has(r));
  }

  status(): InPlaceStatus {
    return {
      mode: this.mode,
      scanIntervalMs: this.settings.scanIntervalMs,
      scans: this.scans,
      changed: [...this.flags.values()].map((f) => ({ ...f.record, kinds: [...f.kinds].sort() })),
    };
  }

  track(desired: ResolvedState, host: HostSnapshot): void {
    this.desired = desired;
    this.refresh(host.containers);
  }

  /** The host's containers after a pass changed them (the pass tracked them before its rollout). */
  refresh(containers: readonly ObservedContainer[]): void {
    const desired = this.desired;
    if (!desired) return;
    const services = new Map(desired.stacks.flatMap((st) => st.services.map((s) => [`${s.project}/${s.service.name}`, s] as const)));
    const next = new Map<string, Target>();
    for (const c of containers) {
      if (!c.managed || c.previousOf !== undefined || !c.project || !c.service) continue;
      const svc = services.get(`${c.project}/${c.service}`);
      const oneOff = c.oneShot === true || (svc !== undefined && runsToCompletion(svc.service));
      next.set(c.id, {
        container: c,
        // A read-only root has no writable layer to change: not even inspected.
        scanLayer: svc !== undefined && c.running && !oneOff && !svc.spec.readOnly,
        allowed: svc?.service.gitdock.writablePaths ?? [],
        spec: svc?.spec,
        lastScan: this.targets.get(c.id)?.lastScan ?? 0,
      });
    }
    // What is no longer on the host is forgotten: a replaced container's findings go with it.
    for (const id of [...this.profiles.keys()]) if (!next.has(id)) this.profiles.delete(id);
    for (const id of [...this.flags.keys()]) if (!next.has(id)) this.flags.delete(id);
    this.targets = next;
    // More containers to share the interval: the next scan comes sooner than planned.
    if (Date.now() + this.gap() < this.nextAt) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** Every event of the agent's Engine event stream; the ones about changes in place are acted on. */
  onEngineEvent(raw: unknown): void {
    const event = inPlaceEventOf(raw);
    if (!event || this.closed) return;
    if (event.kind === "exec")
      void this.onExec(event, raw).catch((err: unknown) =>
        this.opts.log.warn({ stage: "in-place", container: event.container, err: String(err) }, "could not judge an exec session"),
      );
    // The healthcheck's execs end every few seconds: only the end of a session that counted asks for a scan.
    else if (event.kind === "exec-ended" && this.execs.delete(event.execId)) this.scanSoon(event.containerId);
    else if (event.kind === "copied-in") this.scanSoon(event.containerId);
  }

  private async onExec(event: { containerId: string; container: string; execId: string; command: string }, raw: unknown): Promise<void> {
    // A container the Engine cannot show any more is gone: nothing of it stays to report.
    const profile = await this.profile(event.containerId);
    if (!profile || event.command === profile.healthcheckCommand) return;
    const labels = (raw as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes ?? {};
    // A job or a one-shot is a one-off run: an exec into it changes nothing that stays.
    if (labels[LABEL.oneShot] === "true") return;
    this.execs.add(event.execId);
    // Bounded: an exec whose end was never seen (the stream reconnected) is forgotten.
    if (this.execs.size > MAX_PENDING) this.execs.delete(this.execs.values().next().value as string);
    const command = recordedCommand(event.command);
    const where = {
      containerId: event.containerId,
      container: event.container,
      stack: labels[LABEL.composeProject] ?? "",
      service: labels[LABEL.composeService] ?? "",
      commit: labels[LABEL.commit] ?? "unknown",
    };
    this.opts.log.warn(
      { stage: "in-place", stack: where.stack, service: where.service, container: where.container, kind: "exec", command },
      `${where.container} changed in place: exec ${command}`,
    );
    this.found(where, "exec", `exec: ${command}`, { kind: "exec", execId: event.execId, command }, (r) => (r.command = command));
  }

  private scanSoon(id: string): void {
    clearTimeout(this.soon.get(id));
    this.soon.set(
      id,
      setTimeout(() => {
        this.soon.delete(id);
        void this.scan(id);
      }, AFTER_EVENT_MS),
    );
  }

  /** The next scan: the container scanned longest ago, one every interval / containers. */
  private gap(): number {
    let scannable = 0;
    for (const t of this.targets.values()) if (t.scanLayer) scannable++;
    return Math.max(MIN_SCAN_GAP_MS, Math.floor(this.settings.scanIntervalMs / Math.max(1, scannable)));
  }

  private schedule(): void {
    if (this.closed) return;
    const gap = this.gap();
    this.nextAt = Date.now() + gap;
    this.timer = setTimeout(() => {
      const next = [...this.targets.values()].filter((t) => t.scanLayer).sort((a, b) => a.lastScan - b.lastScan)[0];
      const due = next && Date.now() - next.lastScan >= this.settings.scanIntervalMs - gap;
      void (due ? this.scan(next.container.id) : Promise.resolve()).finally(() => this.schedule());
    }, gap);
    this.timer.unref?.();
  }

  private async scan(id: string): Promise<void> {
    const target = this.targets.get(id);
    if (!target?.scanLayer || this.closed) return;
    target.lastScan = Date.now();
    const profile = await this.profile(id);
    if (!profile || profile.readOnly) return;
    let changes: LayerChange[];
    try {
      changes = ((await this.opts.docker.getContainer(id).changes()) as LayerChange[] | null) ?? [];
    } catch (err) {
      if (engineStatus(err) !== 404)
        this.opts.log.debug({ stage: "in-place", container: target.container.name, err: String(err) }, "could not scan a writable layer");
      return;
    }
    this.scans++;
    const verdict = changesInPlace(changes, [...profile.mounted, ...target.allowed]);
    if (changeCount(verdict) === 0) return;
    const flag = this.flags.get(id);
    const counts = { added: verdict.added, changed: verdict.changed, deleted: verdict.deleted };
    if (flag?.kinds.has("writable layer")) {
      flag.record.layer = counts;
      return;
    }
    await this.reportLayer(target, verdict, counts);
  }

  private async reportLayer(target: Target, verdict: LayerVerdict, counts: { added: number; changed: number; deleted: number }): Promise<void> {
    const c = target.container;
    const what = `${counts.added} added, ${counts.changed} changed, ${counts.deleted} deleted outside its volumes, bind mounts, tmpfs and writable_paths`;
    const listed =
      verdict.paths.slice(0, MAX_EXCERPT_PATHS).join(" ") +
      (verdict.paths.length > MAX_EXCERPT_PATHS ? ` (and ${verdict.paths.length - MAX_EXCERPT_PATHS} more)` : "");
    const excerpt = await redactedExcerpt(untrusted(listed), target.spec);
    this.opts.log.warn(
      { stage: "in-place", stack: c.project, service: c.service, container: c.name, kind: "writable layer", ...counts, ...(excerpt ? { excerpt } : {}) },
      `${c.name} changed in place: its writable layer has ${what}`,
    );
    const where = { containerId: c.id, container: c.name, stack: c.project ?? "", service: c.service ?? "", commit: c.commit ?? "unknown" };
    this.found(where, "writable layer", `writable layer: ${what}`, { kind: "writable layer", ...counts }, (r) => (r.layer = counts));
  }

  private found(
    where: { containerId: string; container: string; stack: string; service: string; commit: string },
    kind: InPlaceKind,
    reason: string,
    data: Record<string, unknown>,
    update: (r: ChangedContainer) => void,
  ): void {
    const at = new Date().toISOString();
    const flag = this.flags.get(where.containerId) ?? {
      record: { container: where.container, stack: where.stack, service: where.service, kinds: [], since: at },
      kinds: new Set<InPlaceKind>(),
    };
    flag.kinds.add(kind);
    update(flag.record);
    this.flags.set(where.containerId, flag);
    const record: InPlaceRecord = { ...where, kind, at, reason, mode: this.mode, data };
    this.pending.push(record);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING);
      this.opts.log.warn({ stage: "in-place", dropped: dropped.length }, `${dropped.length} change(s) in place were not journaled: no pass could record them`);
    }
    this.opts.onFinding(record);
  }

  private profile(id: string): Promise<ContainerProfile | undefined> {
    let known = this.profiles.get(id);
    if (!known) {
      known = this.opts.docker
        .getContainer(id)
        .inspect()
        .then(profileOf, () => undefined);
      this.profiles.set(id, known);
      // An inspect that failed (the Engine away) is asked again next time.
      void known.then((p) => p === undefined && this.profiles.delete(id));
    }
    return known;
  }
}
