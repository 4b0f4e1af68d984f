import { ApplyFailedError } from "../errors.js";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { untrusted } from "../untrusted/index.js";

/**
 * A container the Engine would not start. The Engine's answer is the runtime's error (the same
 * text it keeps as `State.Error`), shaped by the image and what the container did to its mounts:
 * untrusted. So the message says only which container and the HTTP status, and the Engine's text
 * travels as the error's `excerpt`, which only the local log shows, redacted. The original error is
 * not kept as `cause` either: serializers print a cause's message.
 */
export function startFailedError(err: unknown, name: string): unknown {
  const status = engineStatus(err);
  if (status === undefined) return engineError(err, `starting ${name}`);
  const excerpt = untrusted(err instanceof Error ? err.message : String(err));
  return new ApplyFailedError(`starting ${name}: the Engine could not start it (HTTP ${status})`, {
    data: { container: name, status },
    hint: `The Engine's message is in gitdock's local log on this host (redacted), and in \`docker inspect --format '{{.State.Error}}' ${name}\` while the container exists.`,
    ...(excerpt ? { excerpt } : {}),
  });
}
