/** `profiles`: services deployed only when one of their profiles is active on the host. */
import { describe, expect, it } from "vitest";
import { FILE, IMAGE, loadError, loadWith } from "../fixtures/manifest/helpers.js";

const compose = `services:
  app:
    image: ${IMAGE}
    depends_on:
      db: {condition: service_started}
      debugger: {condition: service_started, required: false}
  db:
    image: ${IMAGE}
  adminer:
    image: ${IMAGE}
    profiles: [debug, tools]
    depends_on: [db]
  debugger:
    image: ${IMAGE}
    profiles: [debug]
    network_mode: service:app
`;

function deployed(profiles: string[]) {
  const { stacks } = loadWith([{ path: FILE, content: compose }], { profiles });
  return stacks[0]?.services.map((s) => s.name);
}

describe("manifest: profiles", () => {
  it("deploys services without profiles always, and others only when one of theirs is active", () => {
    expect(deployed([])).toEqual(["app", "db"]);
    expect(deployed(["tools"])).toEqual(["adminer", "app", "db"]);
    expect(deployed(["debug"])).toEqual(["adminer", "app", "db", "debugger"]);
  });

  it("drops a dependency on a service left out when it is not required", () => {
    const { stacks } = loadWith([{ path: FILE, content: compose }], {});
    expect(stacks[0]?.services.find((s) => s.name === "app")?.dependsOn.map((d) => d.service)).toEqual(["db"]);
  });

  it("still validates the services it leaves out", () => {
    const broken = compose.replace("profiles: [debug]\n", "profiles: [debug]\n    restart: sometimes\n");
    expect(loadError([{ path: FILE, content: broken }]).problems).toEqual([expect.objectContaining({ path: "services.debugger.restart" })]);
  });

  it("refuses a deployed service that needs one left out", () => {
    const needy = `services:\n  web:\n    image: ${IMAGE}\n    depends_on: [cache]\n    ipc: service:cache\n  cache:\n    image: ${IMAGE}\n    profiles: [perf]\n`;
    const problems = loadError([{ path: FILE, content: needy }]).problems;
    expect(problems).toEqual([
      expect.objectContaining({
        path: "services.web.depends_on",
        line: 4,
        message: expect.stringMatching(/^depends on "cache", whose profiles \(perf\) are not active on this host; activate one/),
      }),
      expect.objectContaining({ path: "services.web.ipc", line: 5, message: expect.stringMatching(/shares the namespace of "cache"/) }),
    ]);
  });

  it("drops the default network when only services left out joined it", () => {
    const onlyOptional = `services:\n  tool:\n    image: ${IMAGE}\n    profiles: [tools]\n`;
    const { stacks } = loadWith([{ path: FILE, content: onlyOptional }], {});
    expect(stacks[0]).toMatchObject({ services: [], networks: [] });
  });

  it("refuses a profile name that is not a name", () => {
    const bad = `services:\n  tool:\n    image: ${IMAGE}\n    profiles: ["-x"]\n`;
    expect(loadError([{ path: FILE, content: bad }]).problems).toEqual([
      expect.objectContaining({ path: "services.tool.profiles[0]", message: expect.stringMatching(/profile name/) }),
    ]);
  });
});
