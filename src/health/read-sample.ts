/**
 * Turning one `container.inspect()` answer into what the gate decides on: the state sample, and the
 * address a probe reaches the container at. Pure, so both are unit-tested on recorded answers.
 * Text the container shapes (`State.Error`, `State.Health.Log[].Output`) is wrapped as
 * UntrustedText here, at the edge, so nothing after this can mistake it for gitdock's words.
 */
import type Docker from "dockerode";
import type { Probe } from "../model.js";
import { untrusted } from "../untrusted/index.js";
import type { GateSample, HealthState } from "./gate-decision.js";
import type { ProbeAddress } from "./probe.js";

const HEALTH_STATES: readonly string[] = ["none", "starting", "healthy", "unhealthy"];

/** The state part of a sample (no probe result yet). */
export function sampleFromInspect(info: Docker.ContainerInspectInfo, at: number): GateSample {
  const state = info.State;
  const health = state.Health;
  const status = health?.Status;
  const sample: GateSample = {
    at,
    status: state.Status,
    running: state.Running,
    restartCount: info.RestartCount ?? 0,
    startedAt: state.StartedAt,
    exitCode: state.ExitCode,
    health: status && HEALTH_STATES.includes(status) ? (status as HealthState) : "none",
  };
  if (state.OOMKilled) sample.oomKilled = true;
  // The Engine's error and the healthcheck's output are untrusted: the container shapes them.
  const error = untrusted(state.Error);
  if (error) sample.error = error;
  // Docker keeps the last few results, oldest first.
  const last = health?.Log?.at(-1);
  if (last) sample.lastHealthCheck = { exitCode: last.ExitCode, output: untrusted(last.Output) };
  return sample;
}

/**
 * Where the probe reaches the container: its IP on the first of its networks that has one; or, with
 * no network address (network_mode host, or none), the port on 127.0.0.1 — for host mode the
 * container's own port, otherwise the host port it is published on. `undefined` when neither exists.
 */
export function probeAddress(info: Docker.ContainerInspectInfo, probe: Probe): ProbeAddress | undefined {
  const networks = Object.values(info.NetworkSettings?.Networks ?? {});
  const ip = networks.map((n) => n.IPAddress).find((a) => typeof a === "string" && a !== "");
  if (ip) return { host: ip, port: probe.port };
  if (info.HostConfig?.NetworkMode === "host") return { host: "127.0.0.1", port: probe.port };
  const bindings = info.NetworkSettings?.Ports?.[`${probe.port}/tcp`] ?? [];
  for (const b of bindings) {
    const port = Number(b.HostPort);
    if (Number.isInteger(port) && port > 0) return { host: reachableHostIp(b.HostIp), port };
  }
  return undefined;
}

/** A binding on every address (or none given) is reached on loopback. */
function reachableHostIp(hostIp: string | undefined): string {
  if (!hostIp || hostIp === "0.0.0.0" || hostIp === "::") return "127.0.0.1";
  return hostIp;
}
