import { describe, expect, it } from "vitest";
import { ConfigInvalidError, HostInputError } from "../../src/errors.js";
import { parseEnvFile } from "../../src/observe/resolve-host-inputs.js";
import { parseRepoLocation } from "../../src/source/repo-location.js";
import { registryHost } from "../../src/apply/registry-auth.js";

describe("repository location", () => {
  it.each([
    ["https://git.example.com/ops/hosts.git", { kind: "http", url: "https://git.example.com/ops/hosts.git" }],
    ["http://127.0.0.1:8080/hosts.git", { kind: "http", url: "http://127.0.0.1:8080/hosts.git" }],
    ["/srv/manifests", { kind: "local", path: "/srv/manifests" }],
    ["file:///srv/manifests", { kind: "local", path: "/srv/manifests" }],
  ])("%s", (input, expected) => {
    expect(parseRepoLocation(input)).toEqual(expected);
  });

  it.each(["ssh://git@example.com/ops/hosts.git", "git@example.com:ops/hosts.git", "git://example.com/hosts.git"])(
    "refuses %s and says what to use instead",
    (input) => {
      expect(() => parseRepoLocation(input)).toThrow(ConfigInvalidError);
      expect(() => parseRepoLocation(input)).toThrow(/not supported/);
    },
  );

  it("refuses credentials inside the URL", () => {
    expect(() => parseRepoLocation("https://user:token@example.com/x.git")).toThrow(/must not carry credentials/);
  });
});

describe("env files", () => {
  it("reads KEY=VALUE lines, comments, quotes and export", () => {
    expect(parseEnvFile("# c\nA=1\nexport B='two words'\nC=\"x=y\"\n\nD=\n", "/e")).toEqual({ A: "1", B: "two words", C: "x=y", D: "" });
  });

  it("reads Compose's env-file syntax as the stack's .env is read: comments after values, escapes in double quotes only", () => {
    const text = 'A=plain # comment\nB="a\\tb\\n\\"q\\"" # comment\nC=\'single \\n # kept\'\nD=x#y\n';
    expect(parseEnvFile(text, "/e")).toEqual({ A: "plain", B: 'a\tb\n"q"', C: "single \\n # kept", D: "x#y" });
  });

  it("keeps a key named __proto__ as a plain value, never as the object's prototype", () => {
    const values = parseEnvFile("__proto__=x\nA=1\n", "/e");
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.keys(values)).toEqual(["__proto__", "A"]);
  });

  it("refuses a malformed line without echoing its content", () => {
    const err = (() => {
      try {
        parseEnvFile("A=1\nTOPSECRET-VALUE\n", "/etc/app.env");
      } catch (e) {
        return e as HostInputError;
      }
    })();
    expect(err).toBeInstanceOf(HostInputError);
    expect(err?.message).toBe("/etc/app.env:2: expected KEY=VALUE (a name of letters, digits, _, . and -, then =)");
  });
});

describe("registry host of an image", () => {
  it.each([
    ["127.0.0.1:5000/team/web@sha256:aa", "127.0.0.1:5000"],
    ["ghcr.io/org/app@sha256:aa", "ghcr.io"],
    ["localhost/app@sha256:aa", "localhost"],
    ["library/nginx@sha256:aa", "docker.io"],
    ["nginx@sha256:aa", "docker.io"],
  ])("%s → %s", (image, host) => {
    expect(registryHost(image)).toBe(host);
  });
});
