import type { RegistryAuths } from "../apply/registry-auth.js";
import { RegistrySession, resolveTagDigest, type ImageReference, type RegistryTransport } from "../registry/index.js";
import type { DigestLookup } from "./pin-images.js";

/**
 * Digests from the registries themselves, with the agent's credentials (Docker's config.json or
 * `registry_auth:`), one session per registry so a token is asked for once per repository. The
 * credentials are loaded on the first lookup: `gitdock pin --check` never reads them.
 */
export function registryDigestLookup(loadAuths: () => Promise<RegistryAuths>, transport: RegistryTransport = {}): DigestLookup {
  let auths: Promise<RegistryAuths> | undefined;
  const sessions = new Map<string, RegistrySession>();
  return async (ref: ImageReference, tag: string) => {
    auths ??= loadAuths();
    const known = await auths;
    let session = sessions.get(ref.registry);
    if (!session) {
      const auth = known.get(ref.registry);
      session = new RegistrySession(ref.registry, auth && { username: auth.username, password: auth.password }, transport);
      sessions.set(ref.registry, session);
    }
    return (await resolveTagDigest(session, ref.repository, tag)).digest;
  };
}
