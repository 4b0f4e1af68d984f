import { loadRegistryAuths } from "../apply/index.js";
import { openAuditReporting } from "../audit/index.js";
import { connectDocker } from "../engine/docker-client.js";
import type { Logger } from "../log.js";
import type { ReconcileContext } from "../reconcile/reconcile.js";
import { requireRepo, type Settings } from "../config/settings.js";
import { loadGitCredentials, parseRepoLocation } from "../source/index.js";
import { Journal, StateStore, loadHostKey } from "../state/index.js";

/** Everything a reconcile needs, opened once: the Engine client, the state directory, credentials. */
export async function openReconcileContext(settings: Settings, log: Logger): Promise<ReconcileContext> {
  parseRepoLocation(requireRepo(settings)); // fail on a bad --repo before touching anything
  const [store, journal, hostKey, auths, credentials] = await Promise.all([
    StateStore.open(settings.stateDir),
    Journal.open(settings.stateDir),
    loadHostKey(settings.stateDir),
    loadRegistryAuths(settings.registryAuth),
    loadGitCredentials(settings.git),
  ]);
  if (journal.tornTail) {
    log.warn(
      { line: journal.tornTail.line },
      "the journal's last line was cut short (a failed write or a crash); gitdock records the gap with its next entry (`gitdock history --verify` shows it)",
    );
  }
  // Git notes and deployment markers (settings.report); a failure to report never reaches a deployment.
  const audit = await openAuditReporting(settings, log, credentials);
  return {
    settings,
    docker: connectDocker(settings.dockerHost),
    log,
    store,
    journal,
    hostKey,
    auths,
    credentials,
    outcomeListeners: [...audit.listeners],
    beforePass: audit.beforePass,
    ...(audit.outcomesOf ? { outcomesOf: audit.outcomesOf } : {}),
    onFleetEvent: (e) => audit.notifier.send(e),
    reportsSettled: async () => {
      await Promise.all([audit.markers?.idle(), audit.notifier.idle()]);
    },
  };
}
