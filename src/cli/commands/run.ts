import { Agent } from "../../agent/run-agent.js";
import type { ConfigFlags } from "../../config/apply-flags.js";
import { loadSettings } from "../../config/load-settings.js";
import { requireRepo, type Settings } from "../../config/settings.js";
import type { Logger } from "../../log.js";
import { openReconcileContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { buildStatus } from "./status.js";

/**
 * `gitdock run`: the agent loop until SIGTERM/SIGINT (exit 0 once a running pass has finished or
 * been rolled back). SIGHUP re-reads the config file; flags keep winning over it.
 */
export async function runCommand(flags: ConfigFlags, log: Logger): Promise<number> {
  const load = async (): Promise<Settings> => {
    const settings = await loadSettings(flags);
    requireRepo(settings);
    return settings;
  };
  // Handlers go in before anything else: SIGHUP's default action would end the process.
  let agent: Agent | undefined;
  let stopRequested = false;
  const onStop = (): void => {
    stopRequested = true;
    void agent?.stop();
  };
  const onReload = (): void => void agent?.reload();
  // A stray rejection in a listener or a socket must not end the loop; it is logged.
  const onRejection = (err: unknown): void =>
    log.error({ stage: "agent", err: err instanceof Error ? err.message : String(err) }, "unhandled rejection; the loop goes on");
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGHUP", onReload);
  process.on("unhandledRejection", onRejection);
  try {
    agent = await Agent.start({ loadSettings: load, openContext: openReconcileContext, buildStatus, log });
    if (stopRequested) void agent.stop();
    const code = await agent.finished;
    // Whatever handle is still open (a keep-alive socket to the Engine), the agent is done.
    setTimeout(() => process.exit(code), 2_000).unref();
    return code === 0 ? EXIT.ok : EXIT.error;
  } finally {
    process.off("SIGTERM", onStop);
    process.off("SIGINT", onStop);
    process.off("SIGHUP", onReload);
    process.off("unhandledRejection", onRejection);
  }
}
