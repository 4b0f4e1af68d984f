import { createRequire, Module } from "node:module";
import { dirname, join } from "node:path";
import type Docker from "dockerode";

const requireHere = createRequire(import.meta.url);

/**
 * Two files that dockerode and docker-modem require as soon as they load, for features gitdock
 * never uses: an SSH transport (`ssh://` Docker hosts, which pulls in ssh2) and BuildKit
 * sessions (which pull in gRPC and protobuf). Together they are about a quarter of an idle
 * agent's resident memory. Each exports one function, called only when that feature is used.
 */
function unusedAtLoadTime(): string[] {
  const dockerodeMain = requireHere.resolve("dockerode");
  const modemMain = createRequire(dockerodeMain).resolve("docker-modem");
  return [join(dirname(dockerodeMain), "session.js"), join(dirname(modemMain), "ssh.js")];
}

/**
 * Put a stand-in for a one-function CommonJS module into require's cache: the real module is
 * loaded on the stand-in's first call, so a caller who does use the feature gets it unchanged.
 */
function deferFunctionModule(filename: string): void {
  if (requireHere.cache[filename]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(filename);
  standIn.filename = filename;
  standIn.loaded = true;
  standIn.exports = function loadOnFirstCall(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete requireHere.cache[filename];
      real = requireHere(filename) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  requireHere.cache[filename] = standIn;
}

let dockerode: typeof Docker | undefined;

/** The dockerode class, loaded without the parts gitdock does not use (see unusedAtLoadTime). */
export function loadDockerode(): typeof Docker {
  if (!dockerode) {
    for (const filename of unusedAtLoadTime()) deferFunctionModule(filename);
    dockerode = requireHere("dockerode") as typeof Docker;
  }
  return dockerode;
}
