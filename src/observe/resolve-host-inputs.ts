import { readFile } from "node:fs/promises";
import { HostInputError } from "../errors.js";
import { parseDotenv } from "../manifest/index.js";
import type { ContainerSpec, DesiredState, DesiredService } from "../model.js";
import { hostKeyId, legacySpecHashes, specHashes, type SpecHashes } from "../plan/spec-hash.js";
import type { ResolvedService, ResolvedState } from "../plan/types.js";
import { materializeStore } from "../files/materialize.js";
import { materializeDecrypted } from "../files/materialize-decrypted.js";
import { checkSecretAttributes } from "./secret-attributes.js";
import { secretDigest, secretMounts } from "./secret-digest.js";

/**
 * Merge the env_file contents (host files read here, repository files read by the manifest stage)
 * into each service's environment (the manifest's own `environment` wins, as in Compose), add
 * each secret's keyed digest (secret-digest.ts: never the content) and compute the spec hashes.
 * Files are read once per path. First, the files the stacks mount from the repository are made in
 * gitdock's store (files/materialize.ts), so they exist before any container needs them. A missing
 * file fails the whole sync before anything changes.
 */
export async function resolveHostInputs(desired: DesiredState, hostKey: Buffer): Promise<ResolvedState> {
  await materializeStore(desired.stacks.flatMap((s) => s.storeObjects ?? []));
  // Decrypted secrets and configs on the tmpfs, on every pass: after a reboot they are back before anything starts.
  await materializeDecrypted(desired.stacks.flatMap((s) => s.decryptedFiles ?? []));
  const cache = new Map<string, Promise<Record<string, string>>>();
  const readOnce = (path: string) => {
    let p = cache.get(path);
    if (!p) cache.set(path, (p = readEnvFile(path)));
    return p;
  };
  const digests = new Map<string, Promise<string>>();
  const digestOnce = (file: string) => {
    let p = digests.get(file);
    if (!p) digests.set(file, (p = secretDigest(file, hostKey)));
    return p;
  };
  const stacks = await Promise.all(
    desired.stacks.map(async (stack) => ({
      stack,
      services: await Promise.all(stack.services.map((s) => resolveService(stack.project, s, hostKey, readOnce, digestOnce))),
    })),
  );
  return { commit: desired.commit, stacks };
}

async function resolveService(
  project: string,
  service: DesiredService,
  hostKey: Buffer,
  readOnce: (path: string) => Promise<Record<string, string>>,
  digestOnce: (file: string) => Promise<string>,
): Promise<ResolvedService> {
  const fromFiles: Record<string, string> = {};
  // Values from the host's files are secrets, and so are decrypted ones; plain files of the repository are in Git already.
  const fromHost = new Set<string>();
  for (const source of service.envFiles) {
    const values = typeof source === "string" ? await readOnce(source) : source.values;
    Object.assign(fromFiles, values);
    for (const key of Object.keys(values)) {
      if (typeof source === "string" || source.secret) fromHost.add(key);
      else fromHost.delete(key);
    }
  }
  const spec: ContainerSpec = { ...service.container, environment: sortedRecord({ ...fromFiles, ...service.container.environment }) };
  // Only when the service mounts secrets, so every other spec hashes as it did before secrets existed.
  if (service.secrets?.length) {
    await checkSecretAttributes(service.secrets);
    spec.secrets = await secretMounts(service.secrets, digestOnce);
  }
  const inputs = service.envFiles.length || spec.secrets ? JSON.stringify([fromFiles, spec.secrets]) : "";
  const secretEnv = new Set([...fromHost].filter((k) => !Object.hasOwn(service.container.environment, k)));
  return { project, service, spec, ...hashOnce(service, hostKey, inputs, () => allHashes(spec, hostKey, secretEnv)) };
}

/**
 * Hashing every spec was most of what an idle agent's poll allocated. A commit's services are the
 * same objects from pass to pass (reconcile/commit-manifest.ts), and a spec is its service plus
 * the host inputs, so the hashes are kept per service and reused while its inputs and the host key
 * are unchanged.
 */
type AllHashes = SpecHashes & { keyId: string; legacy: SpecHashes };

const hashed = new WeakMap<DesiredService, { hostKey: Buffer; inputs: string; hashes: AllHashes }>();

/** Scheme 2 for new containers, and the scheme before it for containers made before (plan.ts compares each its way). */
function allHashes(spec: ContainerSpec, hostKey: Buffer, secretEnv: ReadonlySet<string>): AllHashes {
  return { ...specHashes(spec, hostKey, secretEnv), keyId: hostKeyId(hostKey), legacy: legacySpecHashes(spec, hostKey) };
}

function hashOnce(service: DesiredService, hostKey: Buffer, inputs: string, hash: () => AllHashes): AllHashes {
  const known = hashed.get(service);
  if (known && known.inputs === inputs && known.hostKey.equals(hostKey)) return known.hashes;
  const hashes = hash();
  hashed.set(service, { hostKey, inputs, hashes });
  return hashes;
}

async function readEnvFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new HostInputError(`env_file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      hint: "Create the file on this host (it is deliberately not in Git), or remove it from env_file.",
    });
  }
  return parseEnvFile(text, path);
}

/** Compose's env-file format, read as the stack's `.env` is (parseDotenv); a bad line is named by its number only. */
export function parseEnvFile(text: string, path: string): Record<string, string> {
  const parsed = parseDotenv(text);
  // Never echo the line: it may hold a secret.
  const bad = parsed.problems[0];
  if (bad) throw new HostInputError(`${path}:${bad.line}: ${bad.message}`, { hint: "Fix the env file on this host." });
  return Object.fromEntries(parsed.values);
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k] as string]),
  );
}
