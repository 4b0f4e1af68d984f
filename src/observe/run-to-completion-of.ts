import { LABEL } from "../labels.js";
import type { ObservedContainer } from "../plan/types.js";

/** The list API's Status of an exited container: `Exited (137) 2 minutes ago`. */
const EXITED = /^Exited \((-?\d+)\)/;

/**
 * What the list call tells about a container's run to completion, without an inspect: its exit code
 * once it exited, and gitdock's marks of a job or a one-shot (run-to-completion-labels.ts). Each
 * field only when present, so other containers look as they did.
 */
export function runToCompletionOf(
  state: string,
  status: string | undefined,
  labels: Record<string, string>,
): Pick<ObservedContainer, "exitCode" | "job" | "oneShot"> {
  const out: Pick<ObservedContainer, "exitCode" | "job" | "oneShot"> = {};
  const code = state === "exited" ? EXITED.exec(status ?? "")?.[1] : undefined;
  if (code !== undefined) out.exitCode = Number(code);
  const job = labels[LABEL.job];
  if (job === "pre-deploy" || job === "post-deploy") out.job = job;
  if (labels[LABEL.oneShot] === "true") out.oneShot = true;
  return out;
}
