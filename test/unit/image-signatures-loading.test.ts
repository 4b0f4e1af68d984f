/**
 * The Sigstore libraries weigh about 10 MB in a process's memory: a host without keyless scopes
 * or Sigstore bundles never loads them (the agent's idle footprint has a target).
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const sigstoreLoaded = () => Object.keys(require.cache).filter((file) => file.includes("/node_modules/@sigstore/"));

describe("loading image signature verification", () => {
  it("keeps the Sigstore libraries out of the pass, the status command and key signatures until a bundle or a keyless scope needs them", async () => {
    // Each test file runs in its own process, so nothing loaded them before.
    await import("../../src/reconcile/reconcile.js");
    await import("../../src/cli/commands/status.js");
    const { judgeClassic } = await import("../../src/image-signatures/judge-classic.js");
    const { loadScopeTrust } = await import("../../src/image-signatures/scope-trust.js");
    expect(sigstoreLoaded()).toEqual([]);

    const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const digest = `sha256:${"c".repeat(64)}`;
    const payload = Buffer.from(
      JSON.stringify({ critical: { identity: {}, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" } }),
    );
    const pem = key.publicKey.export({ type: "spki", format: "pem" }).toString();
    const trust = await loadScopeTrust({ scope: "*", keys: [pem], keyless: undefined, acceptUnsigned: false });
    const signature = sign("sha256", payload, { key: key.privateKey, dsaEncoding: "der" });
    const sig = {
      payload: { mediaType: "", digest, size: payload.length, artifactType: undefined, annotations: {} },
      signature,
      certificate: undefined,
      chain: undefined,
      rekorBundle: undefined,
      timestamp: undefined,
    };
    expect((await judgeClassic(sig, payload, digest, trust)).status).toBe("valid");
    expect(sigstoreLoaded()).toEqual([]);

    await import("../../src/image-signatures/judge-bundle.js");
    expect(sigstoreLoaded().length).toBeGreaterThan(0);
  });
});
