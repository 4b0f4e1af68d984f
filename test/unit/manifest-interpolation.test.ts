import { describe, expect, it } from "vitest";
import { INTERPOLATION_MESSAGE } from "../../src/manifest/rules/refuse-interpolation.js";
import { FILE, problems, web, webFile } from "../fixtures/manifest/helpers.js";

describe("manifest: variable interpolation", () => {
  it("has the message users are told about", () => {
    expect(INTERPOLATION_MESSAGE).toBe(
      "variable interpolation (${VAR}) is not supported; write the value, or use env_file for host-specific values",
    );
  });

  it.each([
    ["${VAR} in a value", "environment: {A: '${HOME}'}", "services.web.environment.A"],
    ["$VAR in a value", "environment: {A: $HOME}", "services.web.environment.A"],
    ["${VAR:-default}", "hostname: ${HOST:-box}", "services.web.hostname"],
    ["inside a longer string", "command: echo pre-${X}-post", "services.web.command"],
    ["in a list item", "command: [echo, $USER]", "services.web.command[1]"],
    ["in a nested value", "deploy: {resources: {limits: {memory: '${MEM}'}}}", "services.web.deploy.resources.limits.memory"],
    ["in the image", "image: nginx:${TAG}", "services.web.image"],
    ["after an escaped dollar", "command: echo $$$X", "services.web.command"],
  ])("refuses %s", (_what, body, path) => {
    const content = body.startsWith("image:") ? webFile("").replace(/image: .*/, body) : webFile(body);
    expect(problems(content)).toContainEqual(expect.objectContaining({ file: FILE, path, message: INTERPOLATION_MESSAGE }));
  });

  it("refuses interpolation in the top-level name", () => {
    expect(problems(`name: \${PROJECT}\n${webFile("")}`)).toContainEqual(expect.objectContaining({ path: "name", message: INTERPOLATION_MESSAGE }));
  });

  it.each([
    ["$$ is a literal $", "environment: {A: $$HOME}", { A: "$HOME" }],
    ["$${VAR} is literal", "environment: {A: '$${HOME}'}", { A: "${HOME}" }],
    ["$$$$ is two dollars", "environment: {A: 'a$$$$b'}", { A: "a$$b" }],
    ["a lone $ before a non-name is literal", "environment: {A: 'costs 5$', B: '$ 1', C: '$1'}", { A: "costs 5$", B: "$ 1", C: "$1" }],
  ])("accepts %s", (_what, body, environment) => {
    expect(web(body).container.environment).toEqual(environment);
  });

  it("unescapes $$ once in values shared through an anchor", () => {
    expect(web("environment: {A: &v 'x$$y', B: *v}").container.environment).toEqual({ A: "x$y", B: "x$y" });
  });
});
