import { openEncrypted, type ManifestSecrets } from "../files/encrypted-repo-files.js";
import type { EncryptedFile } from "../../secrets/inspect-encrypted-file.js";
import type { VariableLayer } from "../interpolate/variable-scope.js";
import type { ProblemLog } from "./problem-log.js";

/**
 * An encrypted variables file of the repository (a stack's `.env`, an included project's `.env` or
 * `env_file`): its decrypted values as a layer whose values are secrets (kept out of messages like
 * the host's). Where nothing was decrypted (`gitdock validate` without `--identity`) its variables
 * are unknown: a note says so; a file the host cannot open is a problem at the file.
 */
export function encryptedVariablesLayer(file: EncryptedFile, path: string, secrets: ManifestSecrets | undefined, log: ProblemLog): VariableLayer | undefined {
  const at = { pos: { line: 1, col: 1 }, path: "" };
  const opened = openEncrypted(file, path, path, secrets);
  if (!opened.ok) {
    log.add({ file: path, at, logical: [], message: opened.error });
    return undefined;
  }
  if (!opened.decryption) {
    log.add({
      file: path,
      at,
      logical: [],
      note: true,
      message: `variables file ${path} is encrypted (${file.recipients.join(", ")}): its values are not known here (give --identity FILE to decrypt it); what is built from them is not judged`,
    });
    return undefined;
  }
  const { variables } = opened.decryption.file;
  if (variables === undefined) {
    log.add({ file: path, at, logical: [], message: `variables file ${path} decrypts to nested values; a variables file holds KEY=VALUE pairs` });
    return undefined;
  }
  return { source: "repository", values: new Map([...variables].map(([k, v]) => [k, v.text()])), secret: true };
}
