import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRegistryAuths } from "../../src/apply/registry-auth.js";
import { healthOf } from "../../src/observe/observe-host.js";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function configFile(content: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gitdock-auth-"));
  dirs.push(dir);
  const file = path.join(dir, "config.json");
  await writeFile(file, content);
  return file;
}

describe("registry credentials from Docker's config.json", () => {
  it("reads inline auths by registry host, Docker Hub under docker.io", async () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const file = await configFile(
      JSON.stringify({
        auths: {
          "ghcr.io": { auth: b64("bot:tok:en") },
          "https://index.docker.io/v1/": { auth: b64("hub:pw") },
          "helper.example.com": {},
        },
        credsStore: "desktop",
      }),
    );
    const auths = await loadRegistryAuths(file);
    expect(auths.get("ghcr.io")).toEqual({ username: "bot", password: "tok:en", serveraddress: "ghcr.io" });
    expect(auths.get("docker.io")?.username).toBe("hub");
    expect(auths.has("helper.example.com")).toBe(false);
  });

  it("refuses a file that is not JSON, and a named file that is missing", async () => {
    await expect(loadRegistryAuths(await configFile("{nope"))).rejects.toThrow(/not valid JSON/);
    await expect(loadRegistryAuths("/nonexistent/config.json")).rejects.toThrow(/cannot read registry credentials/);
  });
});

describe("health from the Engine's list status", () => {
  it.each([
    ["Up 3 minutes (healthy)", "healthy"],
    ["Up 3 seconds (health: starting)", "starting"],
    ["Up 1 minute (unhealthy)", "unhealthy"],
    ["Up 2 hours", "none"],
    ["Exited (0) 5 seconds ago", "none"],
  ])("%s → %s", (status, health) => {
    expect(healthOf(status)).toBe(health);
  });
});
