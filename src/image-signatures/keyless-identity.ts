import type { X509Certificate } from "@sigstore/core";
import type { KeylessIdentity } from "../policy/host-policy.js";

/** Fulcio's OIDC issuer extension: v2 (a DER UTF8String) and the deprecated v1 (raw bytes). */
const ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
const ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";

export interface CertificateIdentity {
  subject: string | undefined;
  issuer: string | undefined;
}

/** Who a Fulcio certificate was issued to: its subject alternative name and OIDC issuer. */
export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  const v2 = cert.extension(ISSUER_V2);
  const issuer = v2 ? v2.valueObj.subs[0]?.value.toString("utf8") : cert.extension(ISSUER_V1)?.value.toString("utf8");
  return { subject: cert.subjectAltName, issuer };
}

/** The issuer must match exactly; the subject exactly, or the whole of it a listed pattern. */
export function identityAccepted(who: CertificateIdentity, accepted: readonly KeylessIdentity[]): boolean {
  if (who.subject === undefined || who.issuer === undefined) return false;
  const subject = who.subject;
  return accepted.some(
    (a) => a.issuer === who.issuer && (a.subject !== undefined ? a.subject === subject : new RegExp(`^(?:${a.subjectPattern})$`).test(subject)),
  );
}
