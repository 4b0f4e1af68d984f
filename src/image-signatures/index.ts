/**
 * Image signatures (security.policy.image_signatures): before anything is pulled, each pinned
 * image a scope covers must carry a signature, in cosign's classic layout or as a Sigstore bundle
 * referrer, by a listed key or keyless identity, over exactly its digest.
 */
export { loadScopeTrust, type ScopeTrust } from "./scope-trust.js";
export { ruleFor } from "./signature-scope.js";
export { describeImageSigner, shortImageSigner, type ImageSigner, type ImageVerdict, type SignatureLayout } from "./verdict.js";
export { verifyImage } from "./verify-image.js";
export type { VerifiedImage } from "./verified-image.js";
export { readImageSignatureRecords, recordImageSignatures, signerSummary, type ImageSignatureRecord } from "./image-signer-record.js";
