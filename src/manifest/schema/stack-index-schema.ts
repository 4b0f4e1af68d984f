import { z } from "zod";

/** The file names of a stack index: a directory holding one names its stack's files itself. */
export const STACK_INDEX_NAMES: readonly string[] = ["gitdock.yaml", "gitdock.yml"];

/**
 * `gitdock.yaml` next to a stack's Compose files: which files make the stack, merged in order as
 * `docker compose -f a.yml -f b.yml` would. Without it a directory's stack is its `compose.yaml`
 * (or `compose.yml`, `docker-compose.yaml`, `docker-compose.yml`) and, if present, the matching
 * `compose.override.yaml`. With it, exactly the listed files are read, and no override file is
 * added on its own.
 */
export const stackIndexSchema = z
  .strictObject({
    files: z
      .array(z.string().min(1, { error: "a file name cannot be empty" }), { error: "expected a list of file names" })
      .min(1, { error: "list at least one Compose file" })
      .describe(
        "The stack's Compose files, relative to this directory and inside the host's directory, merged in this order: later files override earlier ones by Compose's merge rules. The first names the stack (its project name, unless a file sets name:).",
      ),
  })
  .describe("gitdock.yaml: the Compose files that make up the stack in this directory.");

export type StackIndexInput = z.infer<typeof stackIndexSchema>;
