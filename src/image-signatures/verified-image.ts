import type { ImageSigner, SignatureLayout } from "./verdict.js";

/** An image of a commit whose signature was verified: what `gitdock status`, the journal and git notes show. Public data only. */
export interface VerifiedImage {
  stack: string;
  service: string;
  /** `registry/repository@sha256:…`, as pulled. */
  image: string;
  signer: ImageSigner;
  layout: SignatureLayout;
}
