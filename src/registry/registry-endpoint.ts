/**
 * Where a registry's API is served. Docker Hub's API is at registry-1.docker.io. A registry on the
 * loopback interface is spoken to in plain HTTP, as Docker does by default (its insecure-registries
 * list always holds 127.0.0.0/8); every other registry over HTTPS with the certificate verified.
 */
export function registryBaseUrl(registry: string): URL {
  const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return new URL(`${isLoopbackHost(host) ? "http" : "https"}://${host}`);
}

/** `127.0.0.1`, `localhost`, `[::1]` (with or without a port), or any 127.x.y.z address. */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = hostWithPort.startsWith("[") ? hostWithPort.slice(0, hostWithPort.indexOf("]") + 1) : (hostWithPort.split(":")[0] ?? "");
  const lower = host.toLowerCase();
  return lower === "localhost" || lower === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(lower);
}
