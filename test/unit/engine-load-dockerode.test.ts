import http from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDockerode } from "../../src/engine/load-dockerode.js";

const require = createRequire(import.meta.url);
const loadedUnused = () => Object.keys(require.cache).filter((file) => /node_modules\/(ssh2|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)\//.test(file));

describe("loading dockerode", () => {
  it("leaves out the SSH and gRPC stacks until a caller uses them, and then loads the real ones", () => {
    // Each test file runs in its own process, so nothing loaded them before.
    expect(loadedUnused()).toEqual([]);
    const Dockerode = loadDockerode();
    const client = new Dockerode({ socketPath: "/run/gdt-no-such.sock" });
    expect(typeof client.listContainers).toBe("function");
    expect(loadedUnused()).toEqual([]);

    // docker-modem's SSH transport (used for ssh:// hosts): the stand-in loads ssh2 and returns its real agent.
    const modemMain = createRequire(require.resolve("dockerode")).resolve("docker-modem");
    const sshTransport = require(join(dirname(modemMain), "ssh.js")) as (opt: object) => unknown;
    const agent = sshTransport({ host: "127.0.0.1", port: 1 });
    expect(agent).toBeInstanceOf(http.Agent);
    expect(loadedUnused().some((file) => file.includes("/node_modules/ssh2/"))).toBe(true);
    (agent as http.Agent).destroy();
  });

  it("returns the same class on every call", () => {
    expect(loadDockerode()).toBe(loadDockerode());
  });
});
