/**
 * desiredSwarm: every service's body with its keyed hashes. The spec hash decides whether a service
 * is updated, the task hash tells the gate a task of the new spec from an old one, so each must move
 * exactly when what it covers does.
 */
import { describe, expect, it } from "vitest";
import type { DesiredStack, SecretMountSpec } from "../../src/model.js";
import { desiredSwarm, type SwarmServiceToSend } from "../../src/swarm/desired-services.js";
import { IMAGE_V2, KEY, resolve, service, stack } from "./helpers/fake-state.js";
import { AGENT, onSwarm } from "./helpers/fake-swarm.js";

const secret = (digest: string): SecretMountSpec => ({ source: "db_password", target: "db_password", file: "/etc/gitdock/secrets/db", digest });

function shop(opts: Parameters<typeof service>[1] = {}): DesiredStack {
  return stack("shop", [onSwarm(service("web", opts)), onSwarm(service("db"))]);
}

function web(st: DesiredStack, commit = "c1", key = KEY): SwarmServiceToSend {
  const found = desiredSwarm(resolve(commit, [st]), AGENT, key).services.find((s) => s.service === "web");
  if (!found) throw new Error("no web");
  return found;
}

describe("desiredSwarm: hashes", () => {
  const base = web(shop({ replicas: 2, spec: { environment: { A: "1" } } }));

  it("is stable: the same input gives the same hashes and body", () => {
    const again = web(shop({ replicas: 2, spec: { environment: { A: "1" } } }));
    expect(again.specHash).toBe(base.specHash);
    expect(again.taskHash).toBe(base.taskHash);
    expect(again.body).toEqual(base.body);
  });

  const cases: { name: string; other: () => SwarmServiceToSend; spec: "same" | "moves"; task: "same" | "moves" }[] = [
    // A moved commit alone never updates a service: the commit label is outside the hash.
    { name: "a moved commit alone", other: () => web(shop({ replicas: 2, spec: { environment: { A: "1" } } }), "c2"), spec: "same", task: "same" },
    // A scale is a service update whose tasks stay: the gate must not wait for new tasks.
    { name: "replicas alone", other: () => web(shop({ replicas: 3, spec: { environment: { A: "1" } } })), spec: "moves", task: "same" },
    { name: "an environment value", other: () => web(shop({ replicas: 2, spec: { environment: { A: "2" } } })), spec: "moves", task: "moves" },
    { name: "the image", other: () => web(shop({ replicas: 2, spec: { environment: { A: "1" }, image: IMAGE_V2 } })), spec: "moves", task: "moves" },
    // Keyed: the hash of a body with environment values cannot be checked against guesses without the host's key.
    {
      name: "another host key",
      other: () => web(shop({ replicas: 2, spec: { environment: { A: "1" } } }), "c1", Buffer.alloc(32, 9)),
      spec: "moves",
      task: "moves",
    },
  ];
  it.each(cases)("$name: spec hash $spec, task hash $task", ({ other, spec, task }) => {
    const o = other();
    expect(o.specHash === base.specHash ? "same" : "moves").toBe(spec);
    expect(o.taskHash === base.taskHash ? "same" : "moves").toBe(task);
  });

  it("stamps the commit on the body but leaves it out of `sent` (what drift compares)", () => {
    expect((base.body["Labels"] as Record<string, string>)["gitdock.commit"]).toBe("c1");
    expect((base.sent["Labels"] as Record<string, string>)["gitdock.commit"]).toBeUndefined();
  });

  it("stamps the spec hash on the service and the task hash on its tasks' containers", () => {
    expect((base.body["Labels"] as Record<string, string>)["gitdock.spec-hash"]).toBe(base.specHash);
    const labels = ((base.template["ContainerSpec"] as Record<string, unknown>)["Labels"] ?? {}) as Record<string, string>;
    expect(labels["gitdock.task-hash"]).toBe(base.taskHash);
    expect(base.template).toEqual(base.body["TaskTemplate"]);
  });

  it("hashes are hex HMAC-SHA256 and differ between the service and its task template", () => {
    expect(base.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(base.taskHash).toMatch(/^[0-9a-f]{64}$/);
    expect(base.specHash).not.toBe(base.taskHash);
  });

  it("carries the gate's times and the service's depends_on", () => {
    const st = stack("shop", [onSwarm(service("web", { dependsOn: ["db"] })), onSwarm(service("db"))]);
    const w = web(st);
    expect(w.dependsOn).toEqual(["db"]);
    expect(w.healthTimeoutMs).toBe(120_000);
    expect(w.monitorMs).toBe(10_000);
    expect(w.name).toBe("shop_web");
    expect(w.project).toBe("shop");
  });
});

describe("desiredSwarm: secrets named by their content", () => {
  const a = desiredSwarm(resolve("c1", [shop({ spec: { secrets: [secret("a".repeat(64))] } })]), AGENT, KEY);
  const b = desiredSwarm(resolve("c1", [shop({ spec: { secrets: [secret("b".repeat(64))] } })]), AGENT, KEY);
  const secretName = (d: typeof a) =>
    (
      ((d.services.find((s) => s.service === "web")?.body["TaskTemplate"] as Record<string, unknown>)["ContainerSpec"] as Record<string, unknown>)[
        "Secrets"
      ] as {
        SecretName: string;
      }[]
    )[0]?.SecretName;

  it("names the secret <project>_<key>_<digest prefix>, and the service mounts that name", () => {
    expect(a.objects.map((o) => `${o.kind} ${o.name}`)).toEqual([`secret shop_db_password_${"a".repeat(12)}`]);
    expect(secretName(a)).toBe(`shop_db_password_${"a".repeat(12)}`);
  });

  it("new content is a new secret, and moves the hashes of the services that mount it (a rotation)", () => {
    expect(b.objects.map((o) => o.name)).toEqual([`shop_db_password_${"b".repeat(12)}`]);
    expect(secretName(b)).toBe(`shop_db_password_${"b".repeat(12)}`);
    const webOf = (d: typeof a) => d.services.find((s) => s.service === "web");
    expect(webOf(b)?.specHash).not.toBe(webOf(a)?.specHash);
    expect(webOf(b)?.taskHash).not.toBe(webOf(a)?.taskHash);
    // db mounts nothing: it is not updated by the rotation.
    const dbOf = (d: typeof a) => d.services.find((s) => s.service === "db")?.specHash;
    expect(dbOf(b)).toBe(dbOf(a));
  });

  it("lists a secret two services mount once", () => {
    const st = stack("shop", [
      onSwarm(service("web", { spec: { secrets: [secret("a".repeat(64))] } })),
      onSwarm(service("db", { spec: { secrets: [secret("a".repeat(64))] } })),
    ]);
    expect(desiredSwarm(resolve("c1", [st]), AGENT, KEY).objects).toHaveLength(1);
  });
});
