import type { ImageSignatureRule } from "../policy/host-policy.js";
import { registryAllows, type ImageLocation } from "../policy/image-registry.js";

/**
 * The entry of `image_signatures` that decides for an image: the most specific scope that matches
 * it (Podman's rule), `*` least, a registry more, each path component of a prefix more again; none
 * when no scope matches (the image needs no signature).
 */
export function ruleFor(where: ImageLocation, rules: readonly ImageSignatureRule[]): ImageSignatureRule | undefined {
  let best: { rule: ImageSignatureRule; weight: number } | undefined;
  for (const rule of rules) {
    if (!registryAllows(rule.scope, where)) continue;
    const weight = specificity(rule.scope);
    if (!best || weight > best.weight) best = { rule, weight };
  }
  return best?.rule;
}

function specificity(scope: string): number {
  if (scope === "*") return 0;
  return scope.replace(/\/+$/, "").split("/").length;
}
