import { describe, expect, it } from "vitest";
import { problems, web, webFile } from "../fixtures/manifest/helpers.js";

const startFirst = "deploy:\n  update_config:\n    order: start-first\n";

describe("manifest: start-first and host ports", () => {
  it("refuses start-first for a service that publishes a fixed host port, at the order key", () => {
    const found = problems(webFile(`${startFirst}ports: ["8080:80"]\n`));
    expect(found.map((p) => p.path)).toEqual(["services.web.deploy.update_config.order"]);
    expect(found[0]?.message).toMatch(/^start-first cannot be used with fixed host ports \(8080\)/);
  });

  it.each([
    ["an ephemeral host port", `${startFirst}ports: ["80"]\n`],
    ["no ports", startFirst],
    ["stop-first with a fixed port", `ports: ["8080:80"]\n`],
  ])("accepts %s", (_name, extra) => {
    expect(() => web(extra)).not.toThrow();
  });
});
