/**
 * The agent's in-place watch (src/in-place), put together: the watch itself while `drift.in_place`
 * is not `off`, its metrics, the Engine events it needs, the reconcile context that hands it to the
 * pass, and a pass for each finding (which journals it and, with `replace`, replaces the container).
 * A config reload switches it on or off, or changes its mode and interval, keeping its findings.
 */
import type Docker from "dockerode";
import type { Registry } from "prom-client";
import type { DriftSection } from "../config/drift-section.js";
import { createInPlaceMetrics, IN_PLACE_ACTIONS, InPlaceWatch, type InPlaceStatus } from "../in-place/index.js";
import type { Logger } from "../log.js";
import { observeContainers } from "../observe/index.js";
import type { ReconcileContext } from "../reconcile/reconcile.js";

export interface InPlaceWiring {
  readonly watching: boolean;
  /** The context with the watch handed to the pass (or without one while it is off). */
  attach(ctx: ReconcileContext): ReconcileContext;
  configure(settings: DriftSection, docker: Docker): void;
  /** What the Engine event subscription adds for the watch. */
  eventOptions(): { otherActions?: readonly string[]; onOther?: (raw: unknown) => void };
  status(): { inPlace?: InPlaceStatus };
  /** After each pass: the containers a rollout made are watched from now on; the gauge of containers found changed (a replaced one has left it). */
  passDone(changed: boolean): Promise<void>;
  close(): void;
}

export function startInPlaceWatch(opts: {
  docker: Docker;
  hostId: string;
  log: Logger;
  registry: Registry;
  settings: DriftSection;
  requestPass: (detail: string) => void;
}): InPlaceWiring {
  const metrics = createInPlaceMetrics(opts.registry);
  let watch: InPlaceWatch | undefined;
  const open = (settings: DriftSection, docker: Docker): void => {
    if (settings.inPlace === "off") return;
    watch = new InPlaceWatch({
      docker,
      log: opts.log,
      settings: { ...settings, inPlace: settings.inPlace },
      onFinding: (record) => {
        metrics.found(record.kind);
        metrics.setChanged(watch?.status().changed.length ?? 0);
        opts.requestPass(`${record.container} ${record.kind}`);
      },
    });
  };
  open(opts.settings, opts.docker);
  return {
    get watching() {
      return watch !== undefined;
    },
    attach: (ctx) => {
      const { inPlace: _previous, ...rest } = ctx;
      return watch ? { ...rest, inPlace: watch } : rest;
    },
    configure(settings, docker) {
      if (settings.inPlace === "off") {
        watch?.close();
        watch = undefined;
        metrics.setChanged(0);
      } else if (watch) watch.configure({ ...settings, inPlace: settings.inPlace });
      else open(settings, docker);
    },
    eventOptions: () => (watch ? { otherActions: IN_PLACE_ACTIONS, onOther: (raw) => watch?.onEngineEvent(raw) } : {}),
    status: () => (watch ? { inPlace: watch.status() } : {}),
    async passDone(changed) {
      if (watch && changed) {
        const containers = await observeContainers(opts.docker, opts.hostId).catch(() => undefined);
        if (containers) watch.refresh(containers);
      }
      metrics.setChanged(watch?.status().changed.length ?? 0);
    },
    close: () => watch?.close(),
  };
}
