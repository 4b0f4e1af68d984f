/**
 * `platform:` as the Engine's platform matcher reads it (containerd's normalization, the common
 * cases): lower case, `x86_64` is `amd64`, `aarch64` is `arm64`, `arm64/v8` is `arm64`, `arm` is
 * `arm/v7`. Equal platforms give equal strings, so the spec hash does not change with the spelling.
 */
const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm" };

export function normalizePlatform(text: string): string {
  const [os = "", rawArch, rawVariant] = text.toLowerCase().split("/");
  if (rawArch === undefined) return os;
  const arch = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = rawVariant;
  if (rawArch === "armel") variant ??= "v6";
  if (/^\d+$/.test(variant ?? "")) variant = `v${variant}`;
  if (arch === "arm64" && (variant === "v8" || variant === "v8.0")) variant = undefined;
  if (arch === "amd64" && variant === "v1") variant = undefined;
  if (arch === "arm" && variant === undefined) variant = "v7";
  return variant === undefined ? `${os}/${arch}` : `${os}/${arch}/${variant}`;
}
