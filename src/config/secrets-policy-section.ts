import { z } from "zod";
import type { SecretsPolicy } from "../policy/host-policy.js";
import { CONFIG_DEFAULTS, shownDefault } from "./defaults.js";

const D = CONFIG_DEFAULTS.security.policy.secrets;

/** `security.policy.secrets`: what secrets of the repository must be (policy/secrets-policy.ts). */
export const secretsPolicySchema = z
  .strictObject({
    require_encrypted: z
      .boolean()
      .optional()
      .describe(
        `true: every Compose secret must be an encrypted file of the repository (SOPS or age) that this host decrypts; secrets from the host's disk are refused. Default ${shownDefault(D.require_encrypted)}`,
      ),
    recipients: z
      .array(z.string().regex(/^(?:age1[0-9a-z]+|[0-9A-Fa-f]{16,64})$/, { error: "expected an age recipient (age1…) or an OpenPGP fingerprint" }))
      .optional()
      .describe(
        `Age recipients and OpenPGP fingerprints encrypted files may be encrypted for: a SOPS file for anyone else is refused (so a removed key is noticed until the file is re-encrypted), and so are age files, which do not name their recipients. Default: any`,
      ),
  })
  .describe("Encrypted secrets of the repository");

export function secretsPolicyFromInput(raw: z.infer<typeof secretsPolicySchema> | undefined): SecretsPolicy {
  return {
    requireEncrypted: raw?.require_encrypted ?? D.require_encrypted,
    recipients: (raw?.recipients ?? D.recipients).map((r) => (r.startsWith("age1") ? r : r.toUpperCase())),
  };
}
