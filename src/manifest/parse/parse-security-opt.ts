/**
 * `security_opt` entries in one spelling. Docker reads `key=value`, and the older `key:value`
 * (split at the first separator); `no-new-privileges` alone means `no-new-privileges=true`.
 * Shared by normalization and the host policy, so a policy entry matches however either side
 * spells it.
 */
export function canonicalSecurityOpt(opt: string): string {
  const trimmed = opt.trim();
  if (trimmed === "no-new-privileges") return "no-new-privileges=true";
  if (trimmed.includes("=")) return trimmed;
  const colon = trimmed.indexOf(":");
  return colon < 0 ? trimmed : `${trimmed.slice(0, colon)}=${trimmed.slice(colon + 1)}`;
}

/** `no-new-privileges=false` is Docker's default: the same as leaving the entry out. */
export function isDefaultSecurityOpt(canonical: string): boolean {
  return canonical === "no-new-privileges=false";
}
