import { describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/manifest/parse/parse-byte-size.js";
import { parseComposeDurationMs as parseDurationMs } from "../../src/duration.js";
import { parsePortShort } from "../../src/manifest/parse/parse-port.js";
import { parseLongMount, parseShortMount } from "../../src/manifest/parse/parse-mount.js";
import { splitShellWords } from "../../src/manifest/parse/split-shell-words.js";
import { formatPath } from "../../src/manifest/format-path.js";

describe("manifest: Compose durations", () => {
  it.each([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1h", 3_600_000],
    ["2us", 0.002],
    ["2µs", 0.002],
    ["1500ns", 0.0015],
    ["1.5h", 5_400_000],
    ["0", 0],
    ["0s", 0],
    ["1h2m3s4ms", 3_723_004],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(["", "10", "1d", "10 s", "s", "-1s", "1.s", "1m30", "ten seconds"])("refuses %j", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe("manifest: Compose byte sizes", () => {
  it.each([
    ["1024b", 1024],
    ["100k", 102_400],
    ["100kb", 102_400],
    ["512m", 536_870_912],
    ["512M", 536_870_912],
    ["512MiB", 536_870_912],
    ["1g", 1_073_741_824],
    ["1.5g", 1_610_612_736],
    ["2 GB", 2_147_483_648],
    ["4096", 4096],
    [4096, 4096],
  ] as const)("%s is %d bytes", (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(["", "1x", "m", "-1m", "1 g b", "1.5.5m"])("refuses %j", (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe("manifest: shell-like splitting of string commands", () => {
  it.each([
    ["a b  c", ["a", "b", "c"]],
    ["  leading and trailing  ", ["leading", "and", "trailing"]],
    [`echo "a b" 'c d'`, ["echo", "a b", "c d"]],
    [`say "it's"`, ["say", "it's"]],
    [`say 'a "b"'`, ["say", 'a "b"']],
    [`a\\ b`, ["a b"]],
    [`"a\\"b"`, ['a"b']],
    [`'a\\b'`, ["a\\b"]],
    [`x"y"z`, ["xyz"]],
    [`a '' b`, ["a", "", "b"]],
    ["sh -c 'echo $HOME && ls'", ["sh", "-c", "echo $HOME && ls"]],
    ["tab\tseparated\nlines", ["tab", "separated", "lines"]],
    ["", []],
  ])("%j", (line, words) => {
    expect(splitShellWords(line)).toEqual({ words });
  });

  it.each([
    [`echo 'open`, /unterminated single quote/],
    [`echo "open`, /unterminated double quote/],
    ["trailing \\", /lone backslash/],
  ])("refuses %j", (line, error) => {
    const result = splitShellWords(line);
    expect("error" in result && result.error).toMatch(error);
  });
});

describe("manifest: short port syntax", () => {
  it("accepts an unbracketed IPv6 address like Docker", () => {
    expect(parsePortShort("::1:8080:80")).toEqual({ ports: [{ target: 80, published: "8080", hostIp: "::1", protocol: "tcp" }] });
  });

  it("expands a container range without host ports", () => {
    expect(parsePortShort("80-82")).toEqual({
      ports: [80, 81, 82].map((target) => ({ target, published: undefined, hostIp: undefined, protocol: "tcp" })),
    });
  });

  it.each(["", ":", "80-70", "abc:80", "1.2.3.4:80:80:80:80"])("refuses %j", (text) => {
    expect(parsePortShort(text)).toHaveProperty("errors");
  });

  it("lists every problem of one port at once", () => {
    expect(parsePortShort("1.2.3:99999:80/tcpx")).toEqual({
      errors: ['unknown protocol "tcpx"; use tcp, udp or sctp', 'host port "99999" is not a port or range in 1-65535', '"1.2.3" is not an IP address'],
    });
  });
});

describe("manifest: problem paths", () => {
  it.each([
    [["services", "web", "ports", 0], "services.web.ports[0]"],
    [["services", "web", "labels", "com.example.tier"], 'services.web.labels["com.example.tier"]'],
    [["services", "web app"], 'services["web app"]'],
    [["x-gitdock"], "x-gitdock"],
    [[], ""],
  ] as const)("%j is %s", (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe("manifest: every problem of a mount, at once", () => {
  it.each([
    // A relative source is a bind mount (a file of the repository or a data directory), so nocopy is wrong there.
    [
      "a short mount",
      "./data:data:q,nocopy",
      ['container path "data" must be absolute', 'unsupported mount mode "q"; use ro or rw', '"nocopy" applies to volumes, not bind mounts'],
    ],
    [
      "a short volume relabeled for SELinux",
      "data:data:z,Z",
      ['container path "data" must be absolute', 'mode cannot be both "z" (shared) and "Z" (private)', '"z" relabels a host directory for SELinux'],
    ],
    ["a short bind", "/srv/x:/x:nocopy,ro,rw", ['mode cannot be both "ro" and "rw"', '"nocopy" applies to volumes, not bind mounts']],
  ])("lists them for %s", (_what, text, messages) => {
    const result = parseShortMount(text);
    expect("problems" in result && result.problems.map((p) => p.message.slice(0, 40))).toEqual(messages.map((m) => m.slice(0, 40)));
  });

  it("lists them for a long mount, each at its key", () => {
    const result = parseLongMount({ type: "tmpfs", source: "x", target: "tmp", read_only: true, bind: {}, tmpfs: { size: "lots" } });
    expect("problems" in result && result.problems.map((p) => p.at)).toEqual([["target"], ["bind"], ["source"], ["read_only"], ["tmpfs", "size"]]);
  });
});
