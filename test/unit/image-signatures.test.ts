/**
 * The pure parts of image signature verification, table-driven where they can be: the payload
 * and statement parsers, the registry documents, the scope rule, and the verdicts of the classic
 * layout and of Sigstore bundles (keyed and keyless, with a private PKI made by openssl) on real
 * signatures made here. No registry: find-signatures.ts is exercised end to end.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyFromInput, policySectionSchema } from "../../src/config/security-section.js";
import { parseSignStatement } from "../../src/image-signatures/in-toto-statement.js";
import { judgeBundle } from "../../src/image-signatures/judge-bundle.js";
import { judgeClassic } from "../../src/image-signatures/judge-classic.js";
import { bundleLayer, bundleReferrers, classicSignatures, classicSignatureTag, referrersTag } from "../../src/image-signatures/oci-documents.js";
import { parseSigningKey } from "../../src/image-signatures/public-keys.js";
import { loadScopeTrust, type ScopeTrust } from "../../src/image-signatures/scope-trust.js";
import { ruleFor } from "../../src/image-signatures/signature-scope.js";
import { parseSimpleSigning } from "../../src/image-signatures/simple-signing.js";
import { betterVerdict, type ImageVerdict } from "../../src/image-signatures/verdict.js";
import type { ImageSignatureRule } from "../../src/policy/host-policy.js";
import { BUNDLE_TYPE, keyHint, makeBundle, newKey, signStatement, signWith, simpleSigningPayload, type TestKey } from "../support/image-signing.js";
import { createTestPki, withTimestamp, type TestPki } from "../support/sigstore-pki.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const OTHER = `sha256:${"b".repeat(64)}`;
const REPO = "127.0.0.1:5000/acme/web";

const rule = (r: Partial<ImageSignatureRule>): ImageSignatureRule => ({ scope: "*", keys: [], keyless: undefined, acceptUnsigned: false, ...r });
const trustFor = (...keys: TestKey[]): Promise<ScopeTrust> => loadScopeTrust(rule({ keys: keys.map((k) => k.publicPem) }));
const classic = (payload: Buffer, signature: Buffer, annotations: Record<string, string> = {}) =>
  classicSignatures({
    layers: [
      {
        mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
        digest: DIGEST,
        size: payload.length,
        annotations: { "dev.cosignproject.cosign/signature": signature.toString("base64"), ...annotations },
      },
    ],
  }).signatures[0]!;

describe("the simple-signing payload", () => {
  it.each([
    ["cosign's own", simpleSigningPayload(REPO, DIGEST), { digest: DIGEST, dockerReference: REPO }],
    [
      "the key in another case, as cosign's spec writes it",
      Buffer.from(JSON.stringify({ critical: { identity: {}, image: { "Docker-manifest-digest": DIGEST }, type: "cosign container image signature" } })),
      { digest: DIGEST, dockerReference: undefined },
    ],
    ["not JSON", Buffer.from("{"), { problem: "the signed payload is not JSON" }],
    [
      "Podman's signature type",
      Buffer.from(JSON.stringify({ critical: { image: { "docker-manifest-digest": DIGEST }, type: "atomic container signature" } })),
      { problem: 'the signed payload\'s critical.type is "atomic container signature", not "cosign container image signature"' },
    ],
    [
      "no digest",
      Buffer.from(JSON.stringify({ critical: { image: {}, type: "cosign container image signature" } })),
      { problem: "the signed payload names no sha256 manifest digest" },
    ],
    [
      "two spellings of the digest",
      Buffer.from(
        JSON.stringify({
          critical: { image: { "Docker-Manifest-Digest": DIGEST, "DOCKER-manifest-digest": OTHER }, type: "cosign container image signature" },
        }),
      ),
      { problem: "the signed payload names no sha256 manifest digest" },
    ],
  ])("%s", (_, payload, expected) => {
    expect(parseSimpleSigning(payload)).toEqual(expected);
  });
});

describe("the in-toto statement of a bundle", () => {
  it.each([
    ["an image signature", "application/vnd.in-toto+json", signStatement("web", [OTHER, DIGEST]), { digests: [OTHER, DIGEST] }],
    [
      "an SBOM attestation",
      "application/vnd.in-toto+json",
      signStatement("web", [DIGEST], "https://cyclonedx.org/bom"),
      { problem: 'the statement\'s predicate is "https://cyclonedx.org/bom", not an image signature (https://sigstore.dev/cosign/sign/v1)' },
    ],
    [
      "another payload type",
      "text/plain",
      signStatement("web", [DIGEST]),
      { problem: 'the envelope\'s payload type is "text/plain", not application/vnd.in-toto+json' },
    ],
    ["no subject digest", "application/vnd.in-toto+json", signStatement("web", []), { problem: "the statement names no sha256 subject" }],
  ])("%s", (_, type, payload, expected) => {
    expect(parseSignStatement(type, payload)).toEqual(expected);
  });
});

describe("the registry documents", () => {
  it("names the tags of both layouts", () => {
    expect(classicSignatureTag(DIGEST)).toBe(`sha256-${"a".repeat(64)}.sig`);
    expect(referrersTag(DIGEST)).toBe(`sha256-${"a".repeat(64)}`);
  });

  it("reads the classic manifest's signature layers, reporting one without a signature and skipping other media types", () => {
    const layer = (mediaType: string, annotations: Record<string, string>) => ({ mediaType, digest: DIGEST, size: 10, annotations });
    const found = classicSignatures({
      layers: [
        layer("application/vnd.dev.cosign.simplesigning.v1+json", {
          "dev.cosignproject.cosign/signature": "MEUCIQ==",
          "dev.sigstore.cosign/certificate": "PEM",
        }),
        layer("application/vnd.dev.cosign.simplesigning.v1+json", {}),
        layer("application/vnd.oci.image.layer.v1.tar", { "dev.cosignproject.cosign/signature": "MEUCIQ==" }),
        { mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: "sha256:short", size: 1 },
      ],
    });
    expect(found.signatures.map((s) => [s.signature.toString("base64"), s.certificate])).toEqual([["MEUCIQ==", "PEM"]]);
    expect(found.problems).toEqual([`payload ${DIGEST.slice(0, 19)}… carries no dev.cosignproject.cosign/signature annotation`]);
  });

  it("lists only Sigstore bundle referrers and checks a bundle manifest's subject", () => {
    const d = (artifactType: string | undefined) => ({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: OTHER,
      size: 5,
      ...(artifactType ? { artifactType } : {}),
    });
    expect(bundleReferrers({ manifests: [d(BUNDLE_TYPE), d("application/spdx+json"), d(undefined)] }).map((r) => r.artifactType)).toEqual([BUNDLE_TYPE]);
    const manifest = { subject: { mediaType: "x", digest: DIGEST, size: 1 }, layers: [{ mediaType: BUNDLE_TYPE, digest: OTHER, size: 9 }] };
    expect(bundleLayer(manifest, DIGEST)).toMatchObject({ digest: OTHER, size: 9 });
    expect(bundleLayer(manifest, OTHER)).toEqual({ problem: `the bundle manifest's subject is ${DIGEST}, not ${OTHER}` });
    expect(bundleLayer({ ...manifest, layers: [] }, DIGEST)).toEqual({ problem: "the bundle manifest has no Sigstore bundle layer" });
  });
});

describe("which scope decides (the most specific, as Podman's policy)", () => {
  const rules = [
    rule({ scope: "*" }),
    rule({ scope: "ghcr.io" }),
    rule({ scope: "ghcr.io/acme" }),
    rule({ scope: "ghcr.io/acme/vendor", acceptUnsigned: true }),
  ];
  it.each([
    ["ghcr.io/acme/web", "ghcr.io/acme"],
    ["ghcr.io/acme/vendor/redis", "ghcr.io/acme/vendor"],
    ["ghcr.io/acmecorp/web", "ghcr.io"],
    ["docker.io/library/nginx", "*"],
  ])("%s → %s", (image, scope) => {
    const [registry = "", ...rest] = image.split("/");
    expect(ruleFor({ registry, path: rest.join("/") }, rules)?.scope).toBe(scope);
  });
  it("none when no scope matches", () => {
    expect(ruleFor({ registry: "docker.io", path: "library/nginx" }, [rule({ scope: "ghcr.io" })])).toBeUndefined();
  });
});

describe("keys", () => {
  it("takes ECDSA P-256 and Ed25519 PEM public keys and names them by fingerprint", () => {
    const ec = newKey("ecdsa-p256");
    const parsed = parseSigningKey(ec.publicPem, "/etc/gitdock/cosign.pub");
    expect(parsed).toMatchObject({ algorithm: "ecdsa-p256", hint: keyHint(ec), source: "/etc/gitdock/cosign.pub" });
    expect((parsed as { fingerprint: string }).fingerprint).toBe(`SHA256:${keyHint(ec).replace(/=+$/, "")}`);
    expect(parseSigningKey(newKey("ed25519").publicPem, "x")).toMatchObject({ algorithm: "ed25519" });
  });
  it("refuses other keys and text that is not a key", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(parseSigningKey(p384, "x")).toEqual({ problem: "a ec secp384r1 key; image signatures are verified with ECDSA P-256 and Ed25519 keys" });
    expect(parseSigningKey("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n", "x")).toHaveProperty("problem");
  });
  it("validates the policy section: inline keys, scopes, keyless identities", () => {
    const key = newKey("ecdsa-p256").publicPem;
    const ok = policySectionSchema.safeParse({
      image_signatures: [
        { scope: "ghcr.io/acme", keys: [key, "/etc/gitdock/cosign.pub"] },
        { scope: "ghcr.io/acme/vendor", accept_unsigned: true },
      ],
    });
    expect(ok.success).toBe(true);
    expect(policyFromInput(ok.data).imageSignatures).toEqual([
      { scope: "ghcr.io/acme", keys: [key, "/etc/gitdock/cosign.pub"], keyless: undefined, acceptUnsigned: false },
      { scope: "ghcr.io/acme/vendor", keys: [], keyless: undefined, acceptUnsigned: true },
    ]);
    const messages = (v: unknown) => {
      const r = policySectionSchema.safeParse({ image_signatures: v });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(messages([{ scope: "*" }])).toEqual(["image_signatures.0: give keys, keyless or both; or accept_unsigned: true alone"]);
    expect(messages([{ scope: "*", keys: ["cosign.pub"] }])[0]).toMatch(/^image_signatures\.0\.keys\.0: expected a PEM public key/);
    expect(messages([{ scope: "x", keyless: { trusted_root: "/r.json", identities: [{ issuer: "https://i" }] } }])).toEqual([
      "image_signatures.0.keyless.identities.0: give subject or subject_regexp (one of them)",
    ]);
    expect(
      messages([
        { scope: "*", accept_unsigned: true },
        { scope: "*", accept_unsigned: true },
      ]),
    ).toEqual(["image_signatures: each scope may appear once"]);
  });
});

describe("the classic layout's verdict", () => {
  const signer = newKey("ecdsa-p256");
  const stranger = newKey("ecdsa-p256");
  const ed = newKey("ed25519");

  it.each([
    ["ECDSA P-256", signer],
    ["Ed25519", ed],
  ])("a payload signed by a listed %s key over the pinned digest is valid", async (_, key) => {
    const payload = simpleSigningPayload(REPO, DIGEST);
    const verdict = await judgeClassic(classic(payload, signWith(key, payload)), payload, DIGEST, await trustFor(stranger, key));
    expect(verdict).toMatchObject({ status: "valid", layout: "cosign-tag", signer: { kind: "key", algorithm: key.kind } });
  });

  it("another key's signature is untrusted; so is a changed payload, and the reason says both", async () => {
    const payload = simpleSigningPayload(REPO, DIGEST);
    const trust = await trustFor(signer);
    const byStranger = await judgeClassic(classic(payload, signWith(stranger, payload)), payload, DIGEST, trust);
    expect(byStranger).toEqual({
      status: "untrusted",
      reason: `a cosign signature (${DIGEST.slice(0, 19)}…), but no key the policy lists for * verifies it: signed by an unknown key, or its payload was changed after signing`,
    });
    const changed = simpleSigningPayload(REPO, OTHER);
    expect((await judgeClassic(classic(changed, signWith(signer, payload)), changed, DIGEST, trust)).status).toBe("untrusted");
  });

  it("a listed key's signature over another digest is wrong-digest", async () => {
    const payload = simpleSigningPayload(REPO, OTHER);
    const verdict = await judgeClassic(classic(payload, signWith(signer, payload)), payload, DIGEST, await trustFor(signer));
    expect(verdict.status).toBe("wrong-digest");
    expect((verdict as { reason: string }).reason).toContain(`over another image: ${OTHER}`);
  });
});

describe("the Sigstore bundle's verdict, with keys", () => {
  const signer = newKey("ecdsa-p256");
  const stranger = newKey("ed25519");

  it("a bundle signed by a listed key over the pinned digest is valid", async () => {
    const bundle = await makeBundle(signStatement(REPO, [DIGEST]), { key: signer });
    expect(judgeBundle(bundle, DIGEST, await trustFor(signer))).toMatchObject({
      status: "valid",
      layout: "sigstore-bundle",
      signer: { kind: "key", algorithm: "ecdsa-p256" },
    });
  });

  it("tells an unknown key, a changed statement (the hint names a listed key), another digest and an attestation apart", async () => {
    const trust = await trustFor(signer);
    expect(judgeBundle(await makeBundle(signStatement(REPO, [DIGEST]), { key: stranger }), DIGEST, trust)).toEqual({
      status: "untrusted",
      reason: "a Sigstore bundle signed by a key the policy does not list for *",
    });
    const bundle = await makeBundle(signStatement(REPO, [OTHER]), { key: signer });
    expect(judgeBundle(bundle, DIGEST, trust).status).toBe("wrong-digest");
    const envelope = bundle.dsseEnvelope as Record<string, unknown>;
    const tampered = { ...bundle, dsseEnvelope: { ...envelope, payload: signStatement(REPO, [DIGEST]).toString("base64") } };
    expect(judgeBundle(tampered, DIGEST, trust)).toMatchObject({ status: "tampered" });
    const sbom = await makeBundle(signStatement(REPO, [DIGEST], "https://spdx.dev/Document"), { key: signer });
    expect(judgeBundle(sbom, DIGEST, trust).status).toBe("malformed");
    expect(judgeBundle({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }, DIGEST, trust).status).toBe("malformed");
  });
});

describe("the Sigstore bundle's verdict, keyless, offline against a pinned trusted root", () => {
  const identity = { subject: "https://ci.example/acme/web/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.ci.example" };
  let pki: TestPki;
  let dir: string;
  let trust: ScopeTrust;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(path.join(os.tmpdir(), "gdt-is-unit-"));
    await writeFile(path.join(dir, "trusted_root.json"), JSON.stringify(await pki.trustedRoot()));
    trust = await loadScopeTrust(
      rule({
        keyless: {
          trustedRoot: path.join(dir, "trusted_root.json"),
          identities: [{ subjectPattern: "https://ci\\.example/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main", issuer: identity.issuer }],
        },
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await pki?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const keyless = async (statement: Buffer, who = identity, timestamped = true) => {
    const leaf = await pki.leaf(who);
    const bundle = await makeBundle(statement, { key: leaf.key, certificatePem: leaf.certificatePem });
    return timestamped ? withTimestamp(bundle, pki) : bundle;
  };

  it("a certificate of a listed identity, chained to the root, dated by the TSA, is valid", async () => {
    expect(judgeBundle(await keyless(signStatement(REPO, [DIGEST])), DIGEST, trust)).toEqual({
      status: "valid",
      layout: "sigstore-bundle",
      signer: { kind: "keyless", ...identity },
    });
  });

  it("another identity, an undated signature, another CA, a changed statement and another digest are refused", async () => {
    const other = await keyless(signStatement(REPO, [DIGEST]), { subject: "mallory@example.com", issuer: identity.issuer });
    expect(judgeBundle(other, DIGEST, trust)).toEqual({
      status: "untrusted",
      reason: `a keyless signature by mallory@example.com (issuer ${identity.issuer}), an identity the policy does not list`,
    });
    expect(judgeBundle(await keyless(signStatement(REPO, [DIGEST]), identity, false), DIGEST, trust)).toEqual({
      status: "untrusted",
      reason: "a keyless signature whose certificate does not verify against the trusted root (TIMESTAMP_ERROR)",
    });
    const elsewhere = await createTestPki();
    try {
      const leaf = await elsewhere.leaf(identity);
      const foreign = await withTimestamp(await makeBundle(signStatement(REPO, [DIGEST]), { key: leaf.key, certificatePem: leaf.certificatePem }), pki);
      expect(judgeBundle(foreign, DIGEST, trust)).toEqual({
        status: "untrusted",
        reason: "a keyless signature whose certificate does not verify against the trusted root (CERTIFICATE_ERROR)",
      });
    } finally {
      await elsewhere.dispose();
    }
    const bundle = await keyless(signStatement(REPO, [OTHER]));
    expect(judgeBundle(bundle, DIGEST, trust).status).toBe("wrong-digest");
    const envelope = bundle.dsseEnvelope as Record<string, unknown>;
    expect(judgeBundle({ ...bundle, dsseEnvelope: { ...envelope, payload: signStatement(REPO, [DIGEST]).toString("base64") } }, DIGEST, trust).status).toBe(
      "tampered",
    );
  }, 60_000);

  it("a scope without keyless trust refuses a keyless signature", async () => {
    expect(judgeBundle(await keyless(signStatement(REPO, [DIGEST])), DIGEST, await trustFor(newKey("ed25519")))).toEqual({
      status: "untrusted",
      reason: "a keyless signature; the policy accepts only keys for this scope",
    });
  });
});

describe("a keyless signature in cosign's classic layout", () => {
  const identity = { subject: "release@ci.example", issuer: "https://token.ci.example" };
  let pki: TestPki;
  let dir: string;
  const scope = async (withLog: boolean) => {
    const file = path.join(dir, `root-${withLog}.json`);
    await writeFile(file, JSON.stringify(await pki.trustedRoot({ withLog })));
    return loadScopeTrust(rule({ keyless: { trustedRoot: file, identities: [identity] } }));
  };
  const signed = async (names: string, who = identity) => {
    const leaf = await pki.leaf(who);
    const payload = simpleSigningPayload(REPO, names);
    const signature = signWith(leaf.key, payload);
    return { payload, signature, certificatePem: leaf.certificatePem };
  };

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(path.join(os.tmpdir(), "gdt-is-unit-"));
  }, 60_000);
  afterAll(async () => {
    await pki?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("is valid when its Rekor entry (signed entry timestamp) dates it and the root lists that log", async () => {
    const s = await signed(DIGEST);
    const rekor = pki.rekorAnnotation(s.payload, s.signature, s.certificatePem);
    const sig = classic(s.payload, s.signature, { "dev.sigstore.cosign/certificate": s.certificatePem, "dev.sigstore.cosign/bundle": rekor });
    expect(await judgeClassic(sig, s.payload, DIGEST, await scope(true))).toEqual({
      status: "valid",
      layout: "cosign-tag",
      signer: { kind: "keyless", ...identity },
    });
    const forged = classic(s.payload, s.signature, {
      "dev.sigstore.cosign/certificate": s.certificatePem,
      "dev.sigstore.cosign/bundle": rekor.replace(/"integratedTime":\d+/, '"integratedTime":1'),
    });
    expect(await judgeClassic(forged, s.payload, DIGEST, await scope(true))).toMatchObject({ status: "untrusted" });
  });

  it("is valid with an RFC 3161 timestamp; another digest, a changed payload and no date are refused", async () => {
    const trust = await scope(false);
    const stamped = async (s: Awaited<ReturnType<typeof signed>>) =>
      classic(s.payload, s.signature, {
        "dev.sigstore.cosign/certificate": s.certificatePem,
        "dev.sigstore.cosign/rfc3161timestamp": JSON.stringify({ SignedRFC3161Timestamp: (await pki.timestamp(s.signature)).toString("base64") }),
      });
    const good = await signed(DIGEST);
    expect((await judgeClassic(await stamped(good), good.payload, DIGEST, trust)).status).toBe("valid");
    const other = await signed(OTHER);
    expect(await judgeClassic(await stamped(other), other.payload, DIGEST, trust)).toMatchObject({ status: "wrong-digest" });
    const changed = simpleSigningPayload("elsewhere", DIGEST);
    expect(await judgeClassic(await stamped(good), changed, DIGEST, trust)).toMatchObject({ status: "tampered" });
    const undated = classic(good.payload, good.signature, { "dev.sigstore.cosign/certificate": good.certificatePem });
    expect(await judgeClassic(undated, good.payload, DIGEST, trust)).toEqual({
      status: "untrusted",
      reason: "a keyless signature whose certificate does not verify against the trusted root (TIMESTAMP_ERROR)",
    });
    expect(
      (await judgeClassic(classic(good.payload, good.signature, { "dev.sigstore.cosign/certificate": "not a certificate" }), good.payload, DIGEST, trust))
        .status,
    ).toBe("malformed");
  }, 60_000);
});

describe("the verdict of several signatures", () => {
  const v = (status: ImageVerdict["status"]): ImageVerdict =>
    status === "valid" ? { status, signer: { kind: "keyless", subject: "s", issuer: "i" }, layout: "cosign-tag" } : { status, reason: status };
  it("keeps the most telling one", () => {
    const order: ImageVerdict["status"][] = ["missing", "malformed", "untrusted", "tampered", "wrong-digest", "valid"];
    for (const [i, weaker] of order.entries()) for (const stronger of order.slice(i)) expect(betterVerdict(v(weaker), v(stronger)).status).toBe(stronger);
  });
});
