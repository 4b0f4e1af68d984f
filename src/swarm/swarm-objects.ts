/**
 * A stack's Compose secrets and configs as Swarm secrets and configs. Each is named by its content
 * (`<project>_<key>_<digest>`): new content is a new object, and the services that mount it are
 * updated to it — a rotation — while the old object stays for the last good spec until a release is
 * good. A secret's digest is the keyed one the spec hash already uses (observe/secret-digest.ts), so
 * its name tells nothing about the content; a config's is the name of its object in gitdock's store,
 * which is named by its content.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { HostInputError } from "../errors.js";
import type { DesiredStack } from "../model.js";
import type { ResolvedStack } from "../plan/types.js";
import { contentObjectName } from "./stack-names.js";

/** The names of a stack's secrets and configs, by their Compose key. */
export interface SwarmObjectNames {
  secrets: Map<string, string>;
  configs: Map<string, string>;
}

export interface SwarmObject {
  kind: "secret" | "config";
  project: string;
  /** The Compose key (`secrets.<key>`, `configs.<key>`). */
  key: string;
  name: string;
  /** Read when the object is created, never kept. */
  content: () => Promise<Uint8Array>;
}

export function stackObjects({ stack, services }: ResolvedStack): { names: SwarmObjectNames; objects: SwarmObject[] } {
  const names: SwarmObjectNames = { secrets: new Map(), configs: new Map() };
  const objects = new Map<string, SwarmObject>();
  for (const { spec } of services) {
    for (const s of spec.secrets ?? []) {
      const name = contentObjectName(stack.project, s.source, s.digest);
      names.secrets.set(s.source, name);
      objects.set(`secret:${name}`, { kind: "secret", project: stack.project, key: s.source, name, content: () => secretContent(stack, s.file) });
    }
    for (const c of spec.configs ?? []) {
      const name = contentObjectName(stack.project, c.source, createHash("sha256").update(c.file).digest("hex"));
      names.configs.set(c.source, name);
      objects.set(`config:${name}`, { kind: "config", project: stack.project, key: c.source, name, content: async () => configContent(stack, c.file) });
    }
  }
  return { names, objects: [...objects.values()] };
}

/** A decrypted secret from the repository is in memory; a host file secret is read now. */
async function secretContent(stack: DesiredStack, file: string): Promise<Uint8Array> {
  const decrypted = stack.decryptedFiles?.find((d) => `${d.store}/${d.name}` === file);
  if (decrypted) return decrypted.content.bytes();
  try {
    return await readFile(file);
  } catch (err) {
    throw new HostInputError(`secret file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      hint: "Create the file on this manager (it is deliberately not in Git), readable by gitdock only.",
    });
  }
}

function configContent(stack: DesiredStack, file: string): Uint8Array {
  const stored = stack.storeObjects?.find((o) => o.kind === "file" && `${o.store}/${o.name}` === file);
  if (stored?.kind !== "file") throw new Error(`config ${file} is not among the stack's files from the repository`);
  return stored.file.content;
}
