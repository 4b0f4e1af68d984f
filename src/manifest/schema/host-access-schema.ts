import { z } from "zod";
import { fileMode, numericId } from "./files-schema.js";
import { stringList } from "./schema-primitives.js";

/**
 * Keys that reach into the host: `pid`, `ipc`, `devices` and secrets. The manifest accepts them so
 * that the host policy (src/policy, owned by the host's root) decides; by default it refuses host
 * namespaces and devices, and allows secret files only under /etc/gitdock/secrets.
 */

export const pidSchema = z
  .string()
  .regex(/^(?:host|service:.+|container:.+)$/, { error: 'expected "host", "service:<name>" or "container:<name>"' })
  .describe('Share a PID namespace: "host", "service:<name>" or "container:<name>". The host policy decides.');

export const ipcSchema = z
  .string()
  .regex(/^(?:host|private|shareable|none|service:.+|container:.+)$/, {
    error: 'expected "host", "private", "shareable", "none", "service:<name>" or "container:<name>"',
  })
  .describe("IPC namespace mode. The host policy decides about host.");

export const devicesSchema = stringList.describe('Host devices: "/dev/ttyUSB0[:/dev/ttyUSB0[:rwm]]". The host policy lists the allowed ones.');

/** A file name under /run/secrets, or an absolute path in the container. */
const SECRET_TARGET = /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]*|\/.+)$/;
const SECRET_TARGET_HINT =
  'a secret target is a file name under /run/secrets (letters, digits, ".", "_" and "-", starting with a letter or digit) or an absolute path';

export const serviceSecretsSchema = z
  .array(
    z.union(
      [
        z.string(),
        z.strictObject({
          source: z.string().describe("Key under the top-level secrets:"),
          target: z
            .string()
            .regex(SECRET_TARGET, { error: SECRET_TARGET_HINT })
            .optional()
            .describe("File name under /run/secrets, or an absolute path in the container. Default: the source."),
          uid: numericId.optional().describe("The owner the host file must have (it is mounted as it is, never changed)."),
          gid: numericId.optional().describe("The group the host file must have."),
          mode: fileMode.optional().describe("The permission bits the host file must have."),
        }),
      ],
      { error: "expected a secret name or a mapping with source (and target, uid, gid, mode)" },
    ),
  )
  .describe("Secrets mounted read-only at /run/secrets/<target>, or at target when it is an absolute path.");

export const secretSchema = z
  .strictObject({
    file: z.string().describe("Absolute path of the secret's file on the host (never in Git: a committed file is refused)."),
  })
  .describe("A secret read from a file on the host when gitdock plans; its content never reaches labels, logs or state.");
