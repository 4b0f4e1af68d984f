import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { probeAddress, sampleFromInspect } from "../../src/health/read-sample.js";
import { NOTHING_TO_REDACT, UntrustedText, WITHHELD } from "../../src/untrusted/index.js";

type Info = Docker.ContainerInspectInfo;

/** The parts of an inspect answer the gate reads; the rest is irrelevant here. */
function info(over: {
  state?: Partial<Info["State"]>;
  restartCount?: number;
  networks?: Record<string, { IPAddress: string }>;
  ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
  networkMode?: string;
}): Info {
  return {
    RestartCount: over.restartCount ?? 0,
    State: {
      Status: "running",
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 42,
      ExitCode: 0,
      Error: "",
      StartedAt: "2026-01-01T00:00:00Z",
      FinishedAt: "0001-01-01T00:00:00Z",
      ...over.state,
    },
    NetworkSettings: { Networks: over.networks ?? {}, Ports: over.ports ?? {} },
    HostConfig: { NetworkMode: over.networkMode ?? "bridge" },
  } as unknown as Info;
}

describe("sampleFromInspect", () => {
  it("reads status, restarts and a missing healthcheck as none", () => {
    expect(sampleFromInspect(info({ restartCount: 2 }), 7)).toEqual({
      at: 7,
      status: "running",
      running: true,
      restartCount: 2,
      startedAt: "2026-01-01T00:00:00Z",
      exitCode: 0,
      health: "none",
    });
  });

  // Was: `lastHealthOutput` was the output flattened into `<output> (exit 1)`, ready to be put in a
  // reason. The output is untrusted now: it is kept apart, as UntrustedText, beside the exit code.
  it("takes the newest healthcheck log entry (Docker keeps them oldest first): exit code, and the output as untrusted text", () => {
    const s = sampleFromInspect(
      info({
        state: {
          Health: {
            Status: "unhealthy",
            FailingStreak: 2,
            Log: [
              { Start: "", End: "", ExitCode: 0, Output: "ok" },
              { Start: "", End: "", ExitCode: 1, Output: "wget: server returned error:\nHTTP/1.1 404 Not Found\n" },
            ],
          },
        },
      }),
      0,
    );
    expect(s.health).toBe("unhealthy");
    expect(s.lastHealthCheck?.exitCode).toBe(1);
    expect(s.lastHealthCheck?.output).toBeInstanceOf(UntrustedText);
    expect(s.lastHealthCheck?.output?.excerpt(NOTHING_TO_REDACT)).toBe("wget: server returned error: HTTP/1.1 404 Not Found");
    expect(JSON.stringify(s)).not.toContain("404");
    expect(JSON.stringify(s)).toContain(WITHHELD);
  });

  it("a healthcheck that printed nothing has no output to show", () => {
    const s = sampleFromInspect(
      info({ state: { Health: { Status: "unhealthy", FailingStreak: 1, Log: [{ Start: "", End: "", ExitCode: 1, Output: " \n" }] } } }),
      0,
    );
    expect(s.lastHealthCheck).toEqual({ exitCode: 1, output: undefined });
  });

  it("keeps exit code, OOM and runtime error of an exited container", () => {
    const s = sampleFromInspect(info({ state: { Status: "exited", Running: false, ExitCode: 137, OOMKilled: true, Error: "killed" } }), 0);
    expect(s).toMatchObject({ status: "exited", running: false, exitCode: 137, oomKilled: true });
    expect(s.error?.excerpt(NOTHING_TO_REDACT)).toBe("killed");
    expect(String(s.error)).toBe(WITHHELD);
  });

  it("an empty State.Error is no error", () => {
    expect(sampleFromInspect(info({}), 0).error).toBeUndefined();
  });
});

describe("probeAddress", () => {
  const http = { kind: "http" as const, port: 8080, path: "/healthz", expectStatus: 200 };

  it("uses the first network that has an IP", () => {
    const i = info({ networks: { a: { IPAddress: "" }, b: { IPAddress: "10.0.0.2" }, c: { IPAddress: "10.0.1.2" } } });
    expect(probeAddress(i, http)).toEqual({ host: "10.0.0.2", port: 8080 });
  });

  it("uses 127.0.0.1 and the container port in host network mode", () => {
    expect(probeAddress(info({ networkMode: "host", networks: { host: { IPAddress: "" } } }), http)).toEqual({
      host: "127.0.0.1",
      port: 8080,
    });
  });

  it("falls back to the published port on loopback", () => {
    const i = info({
      ports: {
        "8080/tcp": [
          { HostIp: "0.0.0.0", HostPort: "32768" },
          { HostIp: "::", HostPort: "32768" },
        ],
      },
    });
    expect(probeAddress(i, http)).toEqual({ host: "127.0.0.1", port: 32768 });
  });

  it("keeps a specific host IP the port is bound to", () => {
    const i = info({ ports: { "8080/tcp": [{ HostIp: "192.168.1.5", HostPort: "8080" }] } });
    expect(probeAddress(i, http)).toEqual({ host: "192.168.1.5", port: 8080 });
  });

  it("has no address when there is neither a network IP nor a published port", () => {
    expect(probeAddress(info({ ports: { "8080/tcp": null } }), http)).toBeUndefined();
  });
});
