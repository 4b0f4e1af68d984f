import { posix } from "node:path";
import { z } from "zod";
import { CONFIG_DEFAULTS } from "./defaults.js";

const DEFAULT_SECRETS_RUNTIME_DIR = CONFIG_DEFAULTS.secrets.runtime_dir;

/**
 * The host's keys for encrypted files of the repository (SOPS documents and age files, src/secrets/)
 * and where their decrypted secrets and configs are mounted from. The keys belong to the host's
 * root: each file must be owned by root and readable by nobody else. Parsed values are handed over
 * as `settings.secrets`.
 */
const absolutePath = z
  .string()
  .startsWith("/", { error: "must be an absolute path" })
  .refine((p) => !p.split("/").includes(".."), { error: "must not contain .." });

export const secretsSectionSchema = z
  .strictObject({
    age_identity_file: absolutePath
      .optional()
      .describe("age identities (age-keygen output: AGE-SECRET-KEY-1… or post-quantum AGE-SECRET-KEY-PQ-1… lines), owned by root, mode 0400 or 0600"),
    openpgp_private_key_file: absolutePath
      .optional()
      .describe("An armored OpenPGP private key without a passphrase (gpg --export-secret-keys --armor), owned by root, mode 0400 or 0600"),
    runtime_dir: absolutePath
      .optional()
      .describe(
        `A directory on a tmpfs where decrypted secrets and configs are written (mode 0400 unless a service asks otherwise) and mounted read-only from. Default ${DEFAULT_SECRETS_RUNTIME_DIR}`,
      ),
  })
  .describe("Keys for encrypted files of the repository (SOPS, age), and where decrypted files live");

export type SecretsSectionInput = z.infer<typeof secretsSectionSchema>;

export interface SecretsSection {
  ageIdentityFile: string | undefined;
  openpgpPrivateKeyFile: string | undefined;
  runtimeDir: string;
}

export function secretsSectionDefaults(raw: SecretsSectionInput | undefined): SecretsSection {
  return {
    ageIdentityFile: raw?.age_identity_file,
    openpgpPrivateKeyFile: raw?.openpgp_private_key_file,
    runtimeDir: posix.normalize(raw?.runtime_dir ?? DEFAULT_SECRETS_RUNTIME_DIR).replace(/(.)\/+$/, "$1"),
  };
}
