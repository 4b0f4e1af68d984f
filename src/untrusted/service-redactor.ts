/**
 * The values a service's container knows that its output must not show in gitdock's log: its
 * resolved environment (the manifest's `environment` with the host's env_file values merged in) and
 * the contents of the secret files it mounts.
 *
 * Secret contents are read only here, only when there is container output to show, and only for as
 * long as it takes to redact it: the file buffers are zeroed right after they are decoded, and the
 * redactor (with its strings) is dropped with the excerpt's computation.
 */
import { readFile } from "node:fs/promises";
import type { ContainerSpec } from "../model.js";
import { valueRedactor, type Redactor } from "./redact-values.js";
import type { UntrustedText } from "./untrusted-text.js";

/** The redactor for one service, or undefined when one of its secret files cannot be read now. */
export async function serviceRedactor(spec: Pick<ContainerSpec, "environment" | "secrets">): Promise<Redactor | undefined> {
  const values = Object.values(spec.environment);
  for (const file of new Set((spec.secrets ?? []).map((s) => s.file))) {
    const content = await readFile(file).catch(() => undefined);
    if (content === undefined) return undefined;
    try {
      values.push(content.toString("utf8"));
    } finally {
      content.fill(0);
    }
  }
  return valueRedactor(values);
}

/**
 * The excerpt of a container's output that gitdock's local log may show, redacted with the values
 * of the service it belongs to. Fails closed: without the service, or when one of its secrets
 * cannot be read to redact it, the output is withheld.
 */
export async function redactedExcerpt(
  text: UntrustedText | undefined,
  spec: Pick<ContainerSpec, "environment" | "secrets"> | undefined,
): Promise<string | undefined> {
  if (!text) return undefined;
  if (!spec) return "[output withheld: gitdock does not know the service's values to redact]";
  const redactor = await serviceRedactor(spec);
  if (!redactor) return "[output withheld: a secret file of the service could not be read to redact it]";
  return text.excerpt(redactor);
}
