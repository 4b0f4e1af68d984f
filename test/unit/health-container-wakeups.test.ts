/**
 * Opening the event stream that wakes the health gates: an Engine (or a proxy) that holds the
 * stream's headers back must not hold the rollout back. A plain HTTP server on a Unix socket
 * stands in for the Engine's /events endpoint.
 */
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { NO_WAKEUPS, openContainerWakeups, watchDeath } from "../../src/health/container-wakeups.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An /events endpoint that answers with `answer`; returns a client for it. */
async function fakeEventsEndpoint(answer: (res: http.ServerResponse) => void): Promise<Docker> {
  const dir = await mkdtemp(join(tmpdir(), "gitdock-events-"));
  const socketPath = join(dir, "engine.sock");
  const server = http.createServer((req, res) => (req.url?.startsWith("/events") ? answer(res) : res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return new Docker({ socketPath });
}

describe("openContainerWakeups", () => {
  it("gives up on a stream whose headers do not come, so the gates poll instead of the rollout waiting", async () => {
    const docker = await fakeEventsEndpoint((res) => res.writeHead(200, { "Content-Type": "application/json" })); // headers never flushed
    const started = Date.now();
    const wakeups = await openContainerWakeups(docker, 200);
    expect(wakeups).toBe(NO_WAKEUPS);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("wakes the gate of the container an event names", async () => {
    let send: (line: string) => void = () => undefined;
    const docker = await fakeEventsEndpoint((res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();
      send = (line) => res.write(`${line}\n`);
    });
    const wakeups = await openContainerWakeups(docker, 200);
    expect(wakeups).not.toBe(NO_WAKEUPS);
    try {
      const woken: string[] = [];
      wakeups.on("c1", () => woken.push("c1"));
      wakeups.on("c2", () => woken.push("c2"));
      await new Promise((r) => setTimeout(r, 300)); // past the open timeout: the stream stays open
      send(JSON.stringify({ Type: "container", Action: "die", Actor: { ID: "c2" } }));
      const deadline = Date.now() + 5000;
      while (woken.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(woken).toEqual(["c2"]);
      expect(wakeups.lost()).toBe(false);
    } finally {
      wakeups.close();
    }
  });

  it("watchDeath resolves at the container's die event, not at its kill event", async () => {
    let send: (line: string) => void = () => undefined;
    const docker = await fakeEventsEndpoint((res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();
      send = (line) => res.write(`${line}\n`);
    });
    const wakeups = await openContainerWakeups(docker, 1000);
    try {
      const death = watchDeath(wakeups, "c1");
      let died = false;
      void death.died.then(() => (died = true));
      send(JSON.stringify({ Action: "kill", Actor: { ID: "c1" } }));
      send(JSON.stringify({ Action: "die", Actor: { ID: "c2" } }));
      await new Promise((r) => setTimeout(r, 200));
      expect(died).toBe(false); // its kill and another container's death do not count
      send(JSON.stringify({ Action: "die", Actor: { ID: "c1" } }));
      await death.died;
      death.cancel();
      const cancelled = watchDeath(wakeups, "c3");
      cancelled.cancel();
      let settled = false;
      void cancelled.died.then(() => (settled = true));
      send(JSON.stringify({ Action: "die", Actor: { ID: "c3" } }));
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false); // a cancelled wait is not woken
    } finally {
      wakeups.close();
    }
  });
});
