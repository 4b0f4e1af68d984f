import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigInvalidError } from "../errors.js";

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** `docker login` credentials by registry host, read from Docker's config.json. */
export type RegistryAuths = Map<string, RegistryAuth>;

/**
 * Read the `auths` of a Docker config.json (`--registry-auth FILE`, else $DOCKER_CONFIG/config.json,
 * else ~/.docker/config.json). Credential helpers (`credsStore`) are not run: gitdock runs unattended
 * and a helper may prompt, so entries without an inline `auth` are ignored with that explanation.
 */
export async function loadRegistryAuths(path: string | undefined): Promise<RegistryAuths> {
  const file = path ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (!path && (err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new ConfigInvalidError(`cannot read registry credentials ${file}: ${(err as Error).message}`);
  }
  let config: { auths?: Record<string, { auth?: string }> };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    throw new ConfigInvalidError(`${file} is not valid JSON`, { hint: "Recreate it with `docker login`." });
  }
  const auths: RegistryAuths = new Map();
  for (const [server, entry] of Object.entries(config.auths ?? {})) {
    if (!entry.auth) continue;
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) continue;
    const host = registryHostOfServer(server);
    auths.set(host, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: server });
  }
  return auths;
}

/** The registry host of an image reference, as Docker decides it. */
export function registryHost(image: string): string {
  const first = image.split("/")[0] ?? "";
  const isHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return isHost ? first : "docker.io";
}

function registryHostOfServer(server: string): string {
  const host = server.replace(/^https?:\/\//, "").split("/")[0] ?? server;
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}
