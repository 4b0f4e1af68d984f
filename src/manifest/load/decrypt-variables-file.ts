import { HostInputError } from "../../errors.js";
import { parseDotenv } from "../interpolate/parse-dotenv.js";
import { decryptFile } from "../../secrets/decrypt-file.js";
import { describeIdentities, type HostIdentities } from "../../secrets/host-identities.js";
import { describeKind, inspectEncryptedFile } from "../../secrets/inspect-encrypted-file.js";

/**
 * A host variables file (`<variables_dir>/<project>.env`) that is itself SOPS- or age-encrypted:
 * its variables, decrypted in memory with the host's keys; undefined for a plain file. A file the
 * host cannot open fails the pass (the host's to fix), naming the file and its recipients.
 */
export async function decryptVariablesFile(file: string, bytes: Uint8Array, ids: HostIdentities): Promise<ReadonlyMap<string, string> | undefined> {
  const encrypted = inspectEncryptedFile(bytes);
  if (!encrypted) return undefined;
  const d = await decryptFile(encrypted, ids);
  const what = `host variables file ${file} is encrypted (${describeKind(encrypted)}, for ${encrypted.recipients.join(", ")})`;
  if (!d.ok) {
    throw new HostInputError(
      `${what} and cannot be decrypted: ${d.reason === "no-key" ? `this host holds none of those keys (its keys: ${describeIdentities(ids).join(", ") || "none"})` : d.message}`,
      {
        hint: "Encrypt it for this host's key (secrets.age_identity_file or secrets.openpgp_private_key_file), or keep it in plain text (mode 0600, owned by root).",
      },
    );
  }
  if (d.file.variables && encrypted.format !== "binary") return new Map([...d.file.variables].map(([k, v]) => [k, v.text()]));
  // An age file or SOPS's binary form holds the file itself: read it as a plain variables file.
  const parsed = parseDotenv(d.file.content.text());
  const first = parsed.problems[0];
  if (first) throw new HostInputError(`${what}; once decrypted, line ${first.line}: ${first.message}`, { hint: "Fix the host variables file on this host." });
  return parsed.values;
}
