import type Docker from "dockerode";
import { ConfigInvalidError, EngineUnavailableError } from "../errors.js";
import { loadDockerode } from "./load-dockerode.js";

/** `--docker-host` / DOCKER_HOST: `unix:///path`, `tcp://host:port`, or unset for the local socket. */
export function connectDocker(dockerHost: string | undefined): Docker {
  const host = dockerHost ?? process.env.DOCKER_HOST;
  const Dockerode = loadDockerode();
  if (!host) return new Dockerode({ socketPath: "/var/run/docker.sock" });
  if (host.startsWith("unix://")) return new Dockerode({ socketPath: host.slice("unix://".length) });
  if (host.startsWith("tcp://") || host.startsWith("http://")) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
  }
  throw new ConfigInvalidError(`--docker-host ${host}: expected unix:///path or tcp://host:port`);
}

/** Turn a connection failure into a retryable error; leave Engine answers (404, 409, ...) as they are. */
export function engineError(err: unknown, what: string): unknown {
  const code = (err as { code?: string }).code;
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT") {
    return new EngineUnavailableError(`Docker Engine unreachable while ${what}: ${(err as Error).message}`, {
      cause: err,
      hint: "Is dockerd running and is --docker-host right? Nothing was changed by this attempt.",
    });
  }
  return err;
}

/** HTTP status of a dockerode error, if the Engine answered. */
export function engineStatus(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}
