/**
 * Containers changed in place, the pure parts: which writable-layer changes count, which Engine
 * events are exec sessions and copies (and which execs are the Docker healthcheck's), what a
 * recorded command keeps, how a container's profile is read, the `drift:` config section, and what
 * the observe stage hands the planner in each mode. The Engine answers are as Engine 20.10 gave them.
 */
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { driftSectionDefaults, driftSectionSchema } from "../../src/config/drift-section.js";
import { changesInPlace, healthcheckCommand, inPlaceEventOf, profileOf, recordedCommand, type InPlaceSource } from "../../src/in-place/index.js";
import { withInPlaceChanges } from "../../src/observe/index.js";
import type { HostSnapshot } from "../../src/plan/types.js";
import { hostMatching, resolve, service, stack } from "./helpers/fake-state.js";

/** `GET /containers/{id}/changes` of a busybox container with a volume, a secret, a tmpfs, a deep bind mount and `init`, after `docker cp` into /www. */
const CHANGES = [
  { Path: "/data", Kind: 1 },
  { Path: "/data/vol", Kind: 1 },
  { Path: "/run", Kind: 1 },
  { Path: "/run/secrets", Kind: 1 },
  { Path: "/run/secrets/x", Kind: 1 },
  { Path: "/sbin", Kind: 1 },
  { Path: "/sbin/docker-init", Kind: 1 },
  { Path: "/scratch", Kind: 1 },
  { Path: "/srv", Kind: 1 },
  { Path: "/srv/deep", Kind: 1 },
  { Path: "/srv/deep/mnt", Kind: 1 },
  { Path: "/www", Kind: 0 },
  { Path: "/www/copied", Kind: 1 },
];
const MOUNTED = ["/data/vol", "/run/secrets/x", "/scratch", "/srv/deep/mnt", "/sbin/docker-init", "/etc/hosts", "/dev"];

describe("which writable-layer changes are changes in place", () => {
  it("leaves out the mount points the Engine made and the directories above a change; keeps the copied file", () => {
    expect(changesInPlace(CHANGES, MOUNTED)).toEqual({ added: 1, changed: 0, deleted: 0, paths: ["/www/copied"] });
  });

  it("leaves out what lies under a writable path, and the path itself", () => {
    expect(changesInPlace(CHANGES, [...MOUNTED, "/www/"])).toEqual({ added: 0, changed: 0, deleted: 0, paths: [] });
    expect(
      changesInPlace(
        [
          { Path: "/var/cache/nginx", Kind: 1 },
          { Path: "/var/cache/nginx/a/b", Kind: 1 },
          { Path: "/var/cache", Kind: 0 },
        ],
        ["/var/cache/nginx"],
      ).paths,
    ).toEqual([]);
  });

  it("counts a change, an addition and a deletion outside them, and a directory changed in itself", () => {
    const v = changesInPlace(
      [
        { Path: "/etc", Kind: 0 },
        { Path: "/etc/passwd", Kind: 0 },
        { Path: "/bin", Kind: 0 },
        { Path: "/bin/tool", Kind: 1 },
        { Path: "/usr/share/doc", Kind: 2 },
        { Path: "/opt", Kind: 0 },
      ],
      MOUNTED,
    );
    expect(v).toEqual({ added: 1, changed: 2, deleted: 1, paths: ["/etc/passwd", "/bin/tool", "/usr/share/doc", "/opt"] });
  });

  it("does not mistake a sibling with a common prefix for a path below", () => {
    expect(
      changesInPlace(
        [
          { Path: "/data-old", Kind: 1 },
          { Path: "/www2", Kind: 0 },
        ],
        ["/data", "/www"],
      ).paths,
    ).toEqual(["/data-old", "/www2"]);
  });

  it("a writable path of / allows everything", () => {
    expect(changesInPlace(CHANGES, ["/"]).paths).toEqual([]);
  });
});

/** Events as the Engine's stream gives them for a managed container. */
const attrs = {
  "gitdock.managed": "true",
  "gitdock.agent": "h1",
  "gitdock.commit": "c1",
  "com.docker.compose.project": "shop",
  "com.docker.compose.service": "web",
  name: "shop-web-1",
  image: "img",
};
const event = (action: string, extra: Record<string, string> = {}, name = "shop-web-1") => ({
  status: action,
  id: "cid",
  Type: "container",
  Action: action,
  Actor: { ID: "cid", Attributes: { ...attrs, name, execID: "eid", ...extra } },
  scope: "local",
});

describe("the Engine's events about changes in place", () => {
  it.each<[string, unknown, unknown]>([
    [
      "an exec session with its command",
      event("exec_start: sh -c echo x > /tmp/f"),
      { kind: "exec", containerId: "cid", container: "shop-web-1", execId: "eid", command: "sh -c echo x > /tmp/f" },
    ],
    ["its end", event("exec_die", { exitCode: "0" }), { kind: "exec-ended", containerId: "cid", container: "shop-web-1", execId: "eid" }],
    ["a docker cp into it", event("extract-to-dir"), { kind: "copied-in", containerId: "cid", container: "shop-web-1" }],
    ["not its creation (nothing ran yet)", event("exec_create: sh"), undefined],
    ["not a kept previous revision", event("exec_start: sh", {}, "shop-web-1.gitdock-prev"), undefined],
    ["not a container gitdock does not manage", { ...event("exec_start: sh"), Actor: { ID: "cid", Attributes: { name: "other" } } }, undefined],
    ["not a repair event", event("die"), undefined],
    ["not another type", { ...event("exec_start: sh"), Type: "network" }, undefined],
  ])("%s", (_name, raw, expected) => {
    expect(inPlaceEventOf(raw)).toEqual(expected);
  });

  it("tells the Docker healthcheck's execs by the command the Engine spells for them", () => {
    expect(healthcheckCommand({ Healthcheck: { Test: ["CMD", "/bin/wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"] } })).toBe(
      "/bin/wget -q -O- http://127.0.0.1:8080/healthz",
    );
    expect(healthcheckCommand({ Healthcheck: { Test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"] } })).toBe(
      "/bin/sh -c curl -f http://localhost/ || exit 1",
    );
    expect(healthcheckCommand({ Healthcheck: { Test: ["CMD-SHELL", "check"] }, Shell: ["/bin/bash", "-o", "pipefail", "-c"] })).toBe(
      "/bin/bash -o pipefail -c check",
    );
    expect(healthcheckCommand({ Healthcheck: { Test: ["NONE"] } })).toBeUndefined();
    expect(healthcheckCommand({})).toBeUndefined();
  });

  it("records a command on one line, credentials blanked, bounded", () => {
    expect(recordedCommand("psql postgres://admin:hunter2@db/app\n-c 'select 1'")).toBe("psql postgres://***@db/app -c 'select 1'");
    expect(recordedCommand("env PASSWORD=hunter2 ./run")).toBe("env PASSWORD=*** ./run");
    expect(recordedCommand("x".repeat(500))).toHaveLength(200);
  });
});

describe("a container's profile, read once from its inspect", () => {
  it("knows its mounts, tmpfs, init binary and Docker's own files, its root's mode and its healthcheck", () => {
    const info = {
      Config: { Healthcheck: { Test: ["CMD", "true"] } },
      HostConfig: { ReadonlyRootfs: true, Init: true, Tmpfs: { "/scratch": "" } },
      Mounts: [{ Destination: "/data" }, { Destination: "/run/secrets/x" }],
    } as unknown as Docker.ContainerInspectInfo;
    const p = profileOf(info);
    expect(p.readOnly).toBe(true);
    expect(p.healthcheckCommand).toBe("true");
    expect(p.mounted).toEqual(
      expect.arrayContaining(["/data", "/run/secrets/x", "/scratch", "/sbin/docker-init", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"]),
    );
    expect(profileOf({ Config: {}, HostConfig: {}, Mounts: [] } as unknown as Docker.ContainerInspectInfo).mounted).not.toContain("/sbin/docker-init");
  });
});

describe("drift: config section", () => {
  it("reports, scanning every 5 minutes, unless told otherwise", () => {
    expect(driftSectionDefaults(undefined)).toEqual({ inPlace: "report", scanIntervalMs: 300_000 });
    expect(driftSectionDefaults(driftSectionSchema.parse({ in_place: "replace", scan_interval: "30s" }))).toEqual({
      inPlace: "replace",
      scanIntervalMs: 30_000,
    });
  });

  it.each([{ in_place: "fix" }, { scan_interval: "500ms" }, { scan_interval: "soon" }, { other: true }])("refuses %j", (raw) => {
    expect(driftSectionSchema.safeParse(raw).success).toBe(false);
  });
});

describe("what the observe stage hands the planner", () => {
  const state = resolve("c1", [stack("shop", [service("web"), service("api")])]);
  const host = hostMatching(state);
  const source = (mode: "report" | "replace"): InPlaceSource => ({
    mode,
    changed: () => new Map([["shop-web-1-id", ["exec" as const]]]),
    unrecorded: () => [],
    recorded: () => undefined,
    track: () => undefined,
  });
  const marked = (h: HostSnapshot) => h.containers.filter((c) => c.changedInPlace).map((c) => `${c.name}: ${c.changedInPlace?.join(", ")}`);

  it("with replace, the containers found changed carry what changed", () => {
    expect(marked(withInPlaceChanges(host, source("replace")))).toEqual(["shop-web-1: exec"]);
  });

  it("with report, or without a watching agent, the snapshot is as the Engine listed it", () => {
    expect(withInPlaceChanges(host, source("report"))).toBe(host);
    expect(withInPlaceChanges(host, undefined)).toBe(host);
  });
});
