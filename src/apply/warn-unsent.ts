import type { Logger } from "../log.js";
import type { DesiredService } from "../model.js";

/** `<project>/<service>/<key>` already warned about in this process. */
const warned = new Set<string>();

/**
 * Keys the manifest accepted but the Engine cannot be sent (`healthcheck.start_interval` on API
 * 1.41, `deploy.restart_policy.delay`, ...): said once per service and key in the log, with the
 * reason, when apply creates the service's containers without them. Never silently dropped.
 */
export function warnUnsent(log: Logger, project: string, service: DesiredService): void {
  for (const { key, reason } of service.unsent ?? []) {
    const id = `${project}/${service.name}/${key}`;
    if (warned.has(id)) continue;
    warned.add(id);
    log.warn(
      { stage: "apply", stack: project, service: service.name, key },
      `${project}/${service.name}: ${key} is accepted but not sent to the Engine: ${reason}`,
    );
  }
}
