/**
 * A private Sigstore PKI made with openssl, for keyless signatures verified offline: a CA (as
 * Fulcio's), a short-lived leaf certificate for an identity (its SAN and Fulcio's OIDC issuer
 * extension), a timestamp authority whose RFC 3161 token dates the signature (real `openssl ts`
 * tokens), and the `trusted_root.json` that pins them.
 */
import { execFile } from "node:child_process";
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject, X509Certificate } from "node:crypto";
import { json } from "@sigstore/core";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestKey } from "./image-signing.js";

const run = promisify(execFile);
const ISSUER_OID = "1.3.6.1.4.1.57264.1.8";

export interface TestPki {
  dir: string;
  /** A leaf certificate (PEM) for `subject` from `issuer`, valid now, and its key. */
  leaf(identity: { subject: string; issuer: string }): Promise<{ certificatePem: string; key: TestKey }>;
  /** An RFC 3161 timestamp response (DER, as Sigstore bundles carry it) over `data`, by the TSA. */
  timestamp(data: Buffer): Promise<Buffer>;
  /** A Rekor entry (hashedrekord 0.0.1) for a signature over `payload` by `certificatePem`, with its signed entry timestamp, as cosign's `dev.sigstore.cosign/bundle` annotation. */
  rekorAnnotation(payload: Buffer, signature: Buffer, certificatePem: string): string;
  /** The trusted root pinning the CA and the TSA, and the transparency log when `withLog` (no CT logs). */
  trustedRoot(opts?: { withLog?: boolean }): Promise<Record<string, unknown>>;
  dispose(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-is-pki-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/O=gdt-is/CN=gdt-is test fulcio",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await writeFile(f("tsa.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    f("tsa.key"),
    "-out",
    f("tsa.csr"),
    "-subj",
    "/O=gdt-is/CN=gdt-is test tsa",
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    f("tsa.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f("tsa.ext"),
    "-out",
    f("tsa.crt"),
  ]);
  await writeFile(
    f("tsa.cnf"),
    [
      "[ tsa ]",
      "default_tsa = gdt",
      "[ gdt ]",
      `serial = ${f("tsa.serial")}`,
      "crypto_device = builtin",
      `signer_cert = ${f("tsa.crt")}`,
      `signer_key = ${f("tsa.key")}`,
      `certs = ${f("ca.crt")}`,
      "signer_digest = sha256",
      "default_policy = 1.2.3.4.1",
      "digests = sha256",
      "accuracy = secs:1",
      "ordering = no",
      "tsa_name = no",
      "ess_cert_id_chain = no",
      "ess_cert_id_alg = sha256",
      "",
    ].join("\n"),
  );
  await writeFile(f("tsa.serial"), "01\n");
  let leaves = 0;
  const rekor = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const rekorDer = rekor.publicKey.export({ type: "spki", format: "der" });
  const logId = createHash("sha256").update(rekorDer).digest();
  const der = async (file: string) => new X509Certificate(await readFile(f(file))).raw;
  return {
    dir,
    async leaf(identity) {
      const n = ++leaves;
      const san = identity.subject.includes("@") && !identity.subject.includes("://") ? `email:${identity.subject}` : `URI:${identity.subject}`;
      await writeFile(
        f(`leaf${n}.ext`),
        `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=critical,${san}\n${ISSUER_OID}=ASN1:UTF8String:${identity.issuer}\n`,
      );
      await openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f(`leaf${n}.key`),
        "-out",
        f(`leaf${n}.csr`),
        "-subj",
        "/O=gdt-is",
      ]);
      await openssl([
        "x509",
        "-req",
        "-in",
        f(`leaf${n}.csr`),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        f(`leaf${n}.ext`),
        "-out",
        f(`leaf${n}.crt`),
      ]);
      const privateKey: KeyObject = createPrivateKey(await readFile(f(`leaf${n}.key`)));
      const cert = new X509Certificate(await readFile(f(`leaf${n}.crt`)));
      const publicKey = cert.publicKey;
      return {
        certificatePem: cert.toString(),
        key: { kind: "ecdsa-p256", privateKey, publicKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() },
      };
    },
    async timestamp(data) {
      const n = ++leaves;
      await writeFile(f(`data${n}`), data);
      await openssl(["ts", "-query", "-data", f(`data${n}`), "-sha256", "-cert", "-no_nonce", "-out", f(`q${n}.tsq`)]);
      await openssl(["ts", "-reply", "-config", f("tsa.cnf"), "-section", "gdt", "-queryfile", f(`q${n}.tsq`), "-out", f(`t${n}.tst`)]);
      return readFile(f(`t${n}.tst`));
    },
    rekorAnnotation(payload, signature, certificatePem) {
      const body = {
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
          data: { hash: { algorithm: "sha256", value: createHash("sha256").update(payload).digest("hex") } },
          signature: { content: signature.toString("base64"), publicKey: { content: Buffer.from(certificatePem).toString("base64") } },
        },
      };
      const entry = {
        body: Buffer.from(json.canonicalize(body)).toString("base64"),
        integratedTime: Math.floor(Date.now() / 1000),
        logIndex: ++leaves,
        logID: logId.toString("hex"),
      };
      const set = sign("sha256", Buffer.from(json.canonicalize(entry)), { key: rekor.privateKey, dsaEncoding: "der" });
      return JSON.stringify({ SignedEntryTimestamp: set.toString("base64"), Payload: entry });
    },
    async trustedRoot(opts = {}) {
      const start = new Date(Date.now() - 3600_000).toISOString();
      const log = {
        baseUrl: "https://rekor.invalid",
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: rekorDer.toString("base64"), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
        logId: { keyId: logId.toString("base64") },
      };
      const chain = (...certs: Buffer[]) => ({ certificates: certs.map((c) => ({ rawBytes: c.toString("base64") })) });
      return {
        mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        tlogs: opts.withLog ? [log] : [],
        certificateAuthorities: [
          {
            subject: { organization: "gdt-is", commonName: "gdt-is test fulcio" },
            uri: "https://fulcio.invalid",
            certChain: chain(await der("ca.crt")),
            validFor: { start },
          },
        ],
        ctlogs: [],
        timestampAuthorities: [
          {
            subject: { organization: "gdt-is", commonName: "gdt-is test tsa" },
            uri: "https://tsa.invalid",
            certChain: chain(await der("tsa.crt"), await der("ca.crt")),
            validFor: { start },
          },
        ],
      };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Adds an RFC 3161 timestamp (over the envelope's signature, as Sigstore's TSA does) to a bundle's JSON. */
export async function withTimestamp(bundle: Record<string, unknown>, pki: TestPki): Promise<Record<string, unknown>> {
  const envelope = bundle.dsseEnvelope as { signatures: { sig: string }[] };
  const token = await pki.timestamp(Buffer.from(envelope.signatures[0]!.sig, "base64"));
  const material = bundle.verificationMaterial as Record<string, unknown>;
  return {
    ...bundle,
    verificationMaterial: { ...material, timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: token.toString("base64") }] } },
  };
}
