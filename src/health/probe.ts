/**
 * One attempt of a gitdock probe (`x-gitdock.probe`): an HTTP GET that must answer the expected
 * status, or a TCP connect that must succeed. Never throws: every outcome is a ProbeResult whose
 * `detail` is one short line for the gate's failure message, in gitdock's words only: the status
 * code, the path the manifest gave (without its query string), an error code. The response's body,
 * headers and status text are the container's and are never read.
 */
import http from "node:http";
import net from "node:net";
import type { Probe } from "../model.js";
import type { ProbeResult } from "./gate-decision.js";

export interface ProbeAddress {
  host: string;
  port: number;
}

export function runProbe(probe: Probe, address: ProbeAddress, timeoutMs: number): Promise<ProbeResult> {
  return probe.kind === "http" ? httpProbe(probe, address, timeoutMs) : tcpProbe(address, timeoutMs);
}

function httpProbe(probe: Extract<Probe, { kind: "http" }>, address: ProbeAddress, timeoutMs: number): Promise<ProbeResult> {
  // The query string may carry a token; it is sent, but never shown.
  const shownPath = probe.path.split("?")[0] ?? probe.path;
  return new Promise((resolve) => {
    const req = http.get({
      host: address.host,
      port: address.port,
      path: probe.path,
      agent: false,
      headers: { "user-agent": "gitdock-probe", connection: "close" },
    });
    const timer = setTimeout(() => req.destroy(timeoutError(timeoutMs)), timeoutMs);
    req.on("response", (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      res.on("error", () => undefined);
      // Only the status matters; do not wait for (or buffer) the body.
      res.destroy();
      req.destroy();
      const ok = status === probe.expectStatus;
      const detail = ok ? `http ${status} on ${shownPath}` : `http ${status} on ${shownPath} (expected ${probe.expectStatus})`;
      resolve({ ok, detail });
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `http GET ${shownPath}: ${errorText(err)}` });
    });
  });
}

function tcpProbe(address: ProbeAddress, timeoutMs: number): Promise<ProbeResult> {
  const where = `tcp ${address.host}:${address.port}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => socket.destroy(timeoutError(timeoutMs)), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, detail: `${where}: connected` });
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `${where}: ${errorText(err)}` });
    });
  });
}

function timeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no answer within ${timeoutMs}ms`), { code: "GITDOCK_PROBE_TIMEOUT" });
}

/**
 * The error's code (ECONNREFUSED, EHOSTUNREACH, HPE_INVALID_STATUS, ...), or our own timeout's
 * message; never another error's message, which may quote what the container sent (an HTTP parse
 * error carries the bytes it choked on).
 */
function errorText(err: Error): string {
  const code = (err as { code?: unknown }).code;
  if (code === "GITDOCK_PROBE_TIMEOUT") return err.message;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  return "connection failed";
}
