import { createHash, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import type { TransparencyLogEntry } from "@sigstore/bundle";
import { RFC3161Timestamp, X509Certificate } from "@sigstore/core";
import type { SignedEntity } from "@sigstore/verify";
import type { ClassicSignature } from "./oci-documents.js";

type CertificateEntity = SignedEntity & { key: { $case: "certificate"; certificate: X509Certificate } };

/**
 * A keyless signature in cosign's classic layout, as @sigstore/verify takes it: the signature over
 * the payload's bytes, the certificate of the `dev.sigstore.cosign/certificate` annotation, and
 * what dates it — the Rekor entry of `dev.sigstore.cosign/bundle` (its signed entry timestamp, a
 * hashedrekord body that must name this very signature and payload) and the RFC 3161 timestamp of
 * `dev.sigstore.cosign/rfc3161timestamp` (over the signature's bytes). The chain annotation is not
 * needed: the trusted root holds the CAs. Pure.
 */
export function classicKeylessEntity(sig: ClassicSignature, payload: Buffer): CertificateEntity | { problem: string } {
  let certificate: X509Certificate;
  try {
    certificate = X509Certificate.parse(sig.certificate ?? "");
  } catch {
    return { problem: "a keyless cosign signature whose certificate cannot be read" };
  }
  const tlogEntries = sig.rekorBundle === undefined ? [] : rekorEntry(sig.rekorBundle);
  if (tlogEntries === undefined) return { problem: "a keyless cosign signature whose Rekor bundle cannot be read" };
  const tsa = sig.timestamp === undefined ? [] : rfc3161(sig.timestamp);
  if (tsa === undefined) return { problem: "a keyless cosign signature whose RFC 3161 timestamp cannot be read" };
  const digest = createHash("sha256").update(payload).digest();
  return {
    key: { $case: "certificate", certificate },
    signature: {
      signature: sig.signature,
      compareSignature: (other: Buffer) => equal(other, sig.signature),
      compareDigest: (other: Buffer) => equal(other, digest),
      verifySignature: (key: KeyObject) => {
        try {
          return verify(null, payload, key, sig.signature);
        } catch {
          return false;
        }
      },
    },
    tlogEntries,
    timestamps: [
      ...tlogEntries.map((tlogEntry) => ({ $case: "transparency-log" as const, tlogEntry })),
      ...tsa.map((timestamp) => ({ $case: "timestamp-authority" as const, timestamp })),
    ],
  };
}

/** `{"SignedEntryTimestamp": base64, "Payload": {"body": base64, "integratedTime", "logIndex", "logID": hex}}`. */
function rekorEntry(annotation: string): TransparencyLogEntry[] | undefined {
  try {
    const doc = JSON.parse(annotation) as {
      SignedEntryTimestamp?: unknown;
      Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown };
    };
    const p = doc.Payload;
    if (typeof doc.SignedEntryTimestamp !== "string" || typeof p?.body !== "string" || typeof p.logID !== "string" || !/^[0-9a-f]+$/.test(p.logID))
      return undefined;
    if (!Number.isSafeInteger(p.integratedTime) || !Number.isSafeInteger(p.logIndex)) return undefined;
    const canonicalizedBody = Buffer.from(p.body, "base64");
    const body = JSON.parse(canonicalizedBody.toString("utf8")) as { kind?: unknown; apiVersion?: unknown };
    if (typeof body.kind !== "string" || typeof body.apiVersion !== "string") return undefined;
    return [
      {
        logIndex: String(p.logIndex),
        logId: { keyId: Buffer.from(p.logID, "hex") },
        kindVersion: { kind: body.kind, version: body.apiVersion },
        integratedTime: String(p.integratedTime),
        inclusionPromise: { signedEntryTimestamp: Buffer.from(doc.SignedEntryTimestamp, "base64") },
        inclusionProof: undefined,
        canonicalizedBody,
      },
    ];
  } catch {
    return undefined;
  }
}

/** `{"SignedRFC3161Timestamp": base64}` (cosign's annotation). */
function rfc3161(annotation: string): RFC3161Timestamp[] | undefined {
  try {
    const doc = JSON.parse(annotation) as { SignedRFC3161Timestamp?: unknown };
    return typeof doc.SignedRFC3161Timestamp === "string" ? [RFC3161Timestamp.parse(Buffer.from(doc.SignedRFC3161Timestamp, "base64"))] : undefined;
  } catch {
    return undefined;
  }
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
