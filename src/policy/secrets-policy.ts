import type { DesiredStack, EncryptedFileUse } from "../model.js";
import type { SecretsPolicy } from "./host-policy.js";
import type { DocPath, Violation } from "./violation.js";

/**
 * `security.policy.secrets` on a stack: with `require_encrypted`, every Compose secret must come
 * encrypted from the repository; with `recipients`, every encrypted file the stack uses may be
 * encrypted only for listed keys (SOPS names them; an age file does not, so it cannot be judged
 * and is refused). Whether this host can decrypt a file is the decryption's own check.
 */
export function secretsPolicyViolations(stack: DesiredStack, policy: SecretsPolicy): Violation[] {
  const out: Violation[] = [];
  if (policy.requireEncrypted) {
    for (const s of stack.secrets ?? []) {
      if (s.encrypted !== undefined) continue;
      out.push({
        path: ["secrets", s.key, "file"],
        message: `secret file ${s.file} is on the host, but the host policy requires every secret to come encrypted from the repository (secrets.require_encrypted); commit it encrypted (\`sops --encrypt --age <host recipient> secret.txt > secret.enc\`) and name the encrypted file`,
      });
    }
  }
  if (policy.recipients.length === 0) return out;
  for (const use of stack.encryptedFiles ?? []) {
    const problem = recipientProblem(use, policy.recipients);
    if (problem) out.push({ path: whereUsed(stack, use), message: `${use.repoPath}: ${problem}` });
  }
  return out;
}

function recipientProblem(use: EncryptedFileUse, allowed: readonly string[]): string | undefined {
  if (use.kind === "age")
    return "an age file does not name its recipients, so the host policy's secrets.recipients cannot be checked; encrypt it with SOPS (its binary form keeps any file) for the listed recipients";
  const keys = use.recipients.filter((r) => r.startsWith("age ") || r.startsWith("pgp ")).map((r) => r.slice(4));
  const others = keys.filter((k) => !allowed.includes(k.startsWith("age1") ? k : k.toUpperCase()));
  if (others.length)
    return `encrypted for ${others.join(", ")}, which the host policy does not list in secrets.recipients (${allowed.join(", ")}); re-encrypt it without them (sops updatekeys, or sops rotate)`;
  return undefined;
}

/** Where a stack names the file: the first service that uses it, or the stack itself for a variables file. */
function whereUsed(stack: DesiredStack, use: EncryptedFileUse): DocPath {
  const service = use.services[0];
  if (service === undefined) return [];
  const kind = use.usedAs === "env_file" ? "env_file" : use.usedAs === "config" ? "configs" : "secrets";
  const svc = stack.services.find((s) => s.name === service);
  return svc ? ["services", service, kind] : ["services", service];
}
