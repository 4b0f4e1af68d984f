import { z } from "zod";

/**
 * Compose `configs`: files from the repository (or inline content), mounted read-only from
 * gitdock's store with the mode and owner a service asks for; and the mode and owner shared with
 * secrets' long syntax.
 */

const ID_HINT = 'expected a numeric id like 1000 or "1000"';

/** A numeric user or group id: Compose writes it as a string, YAML users often as a number. */
export const numericId = z.union([z.int().min(0).max(2 ** 31 - 1), z.string().regex(/^\d{1,10}$/, { error: ID_HINT })], { error: ID_HINT });

const MODE_HINT = 'expected a file mode in octal, like 0440 or "0440"';

/** A file mode: octal as Compose reads it (`0440`, `0o440`, `"0440"`), or a decimal number. */
export const fileMode = z
  .union([z.int().min(0), z.string().regex(/^(?:0o?)?[0-7]{1,4}$/, { error: MODE_HINT })], { error: MODE_HINT })
  .describe("Permission bits, in octal as Compose reads them (0440); no setuid, setgid or sticky bits.");

export const configSchema = z
  .strictObject({
    file: z.string().optional().describe("A file of the repository, relative to the compose file (never outside the host's directory)."),
    content: z.string().optional().describe("The file's content, inline."),
  })
  .describe("A config: a file of the repository (file:) or inline content (content:), mounted read-only from gitdock's store.");

export const serviceConfigsSchema = z
  .array(
    z.union(
      [
        z.string(),
        z.strictObject({
          source: z.string().describe("Key under the top-level configs:"),
          target: z.string().optional().describe("Path in the container. Default /<source>; a relative path is taken from /."),
          uid: numericId.optional().describe("Owner of the file in the container. Default root."),
          gid: numericId.optional().describe("Group of the file in the container. Default root."),
          mode: fileMode.optional().describe("Default 0444 (0555 for a file Git marks executable)."),
        }),
      ],
      { error: "expected a config name or a mapping with source (and target, uid, gid, mode)" },
    ),
  )
  .describe("Configs mounted read-only from gitdock's store, at /<name> or their target.");

export type ConfigInput = z.infer<typeof configSchema>;
