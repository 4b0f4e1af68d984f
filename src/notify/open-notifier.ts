import { readFile } from "node:fs/promises";
import type { NotificationTarget } from "../config/report-section.js";
import { ConfigInvalidError } from "../errors.js";
import type { Logger } from "../log.js";
import type { NotificationSource } from "./event-summary.js";
import { Notifier, type DeliveryTuning } from "./notifier.js";

/**
 * The Notifier for `report.notifications`, each target's URL read from its url_file at startup, so
 * a missing file or a line that is not a URL fails here, and never during a pass. The URL is a
 * secret: no message here quotes it.
 */
export async function openNotifier(
  targets: readonly NotificationTarget[],
  source: NotificationSource,
  log: Logger,
  tuning?: DeliveryTuning,
): Promise<Notifier> {
  const channels = await Promise.all(targets.map(async (target) => ({ target, url: await readTargetUrl(target) })));
  return new Notifier(channels, { source, log, ...(tuning ? { tuning } : {}) });
}

async function readTargetUrl(t: NotificationTarget): Promise<string> {
  const key = `${t.configPath}.url_file`;
  let text: string;
  try {
    text = await readFile(t.urlFile, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read ${key} ${t.urlFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "Check the path and that gitdock's user may read it (mode 0600, owned by root).",
      data: { key, file: t.urlFile },
    });
  }
  const line = text.split(/\r?\n/)[0]?.trim() ?? "";
  const problem = urlProblem(line);
  if (problem) {
    throw new ConfigInvalidError(`${key} ${t.urlFile}: the first line ${problem}`, {
      hint: `Write the ${t.type} webhook URL (for ntfy: the server's root URL) as the file's first line.`,
      data: { key, file: t.urlFile },
    });
  }
  return line;
}

function urlProblem(line: string): string | undefined {
  if (!line) return "is empty";
  let url: URL;
  try {
    url = new URL(line);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "is not an http:// or https:// URL";
  if (url.username || url.password) return "carries a user name or password, which fetch refuses (ntfy takes a token as ?auth=...)";
  return undefined;
}
