/**
 * Container output is untrusted: the redaction of a service's values in it (pure), the one-line
 * excerpt the local log shows, and UntrustedText never turning into its text by accident.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFailedError } from "../../src/apply/start-failed.js";
import { ApplyFailedError, EngineUnavailableError, describeError } from "../../src/errors.js";
import {
  EXCERPT_MAX,
  MIN_REDACTED_LENGTH,
  NOTHING_TO_REDACT,
  REDACTED,
  UntrustedText,
  WITHHELD,
  redactedExcerpt,
  serviceRedactor,
  untrusted,
  valueRedactor,
} from "../../src/untrusted/index.js";

const redact = (values: string[], text: string) => valueRedactor(values).redact(text);

describe("valueRedactor", () => {
  it("redacts every occurrence of a value", () => {
    expect(redact(["hunter22"], "pw hunter22, again hunter22.")).toBe(`pw ${REDACTED}, again ${REDACTED}.`);
  });

  it(`redacts values of ${MIN_REDACTED_LENGTH} characters or more, and leaves shorter ones alone`, () => {
    expect(MIN_REDACTED_LENGTH).toBe(4);
    expect(redact(["abcd"], "x abcd y")).toBe(`x ${REDACTED} y`);
    // `on`, `1`, `abc`: redacting these would blank out most of any text.
    expect(redact(["abc", "on", "1", ""], "abc on 1 done")).toBe("abc on 1 done");
  });

  it("turns overlapping values into one redaction", () => {
    expect(redact(["abcdef", "defghi"], "xxabcdefghixx")).toBe(`xx${REDACTED}xx`);
  });

  it("redacts a value that contains another whole, however they are listed", () => {
    expect(redact(["secret", "my-secret-token"], "a my-secret-token b secret c")).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(redact(["my-secret-token", "secret"], "a my-secret-token b")).toBe(`a ${REDACTED} b`);
  });

  it("turns adjacent values into one redaction", () => {
    expect(redact(["aaaa", "bbbb"], "<aaaabbbb>")).toBe(`<${REDACTED}>`);
  });

  it("treats regular-expression metacharacters as plain text", () => {
    const value = "a.b*c+(d)?[e]{2}|^$\\";
    expect(redact([value], `x ${value} y`)).toBe(`x ${REDACTED} y`);
    // `.` and `*` match only themselves.
    expect(redact(["a.bc", "x*yz"], "axbc xxxyz")).toBe("axbc xxxyz");
  });

  it("is case-sensitive and literal", () => {
    expect(redact(["Secret-Value"], "secret-value Secret-Value")).toBe(`secret-value ${REDACTED}`);
  });

  it("redacts inside multi-line output and keeps the lines around it", () => {
    expect(redact(["planted-1234"], "line one\nplanted-1234\nline three\n")).toBe(`line one\n${REDACTED}\nline three\n`);
  });

  it("redacts a secret file's content whether or not its trailing newline was printed", () => {
    expect(redact(["planted-secret\n"], "got planted-secret here")).toBe(`got ${REDACTED} here`);
    expect(redact(["planted-secret\n"], "got planted-secret\n")).toBe(`got ${REDACTED}`);
  });

  it("redacts each line of a multi-line value printed on its own", () => {
    const pem = "-----BEGIN KEY-----\nAAAABBBBCCCC\nDDDDEEEEFFFF\n-----END KEY-----\n";
    expect(redact([pem], "key part: DDDDEEEEFFFF!")).toBe(`key part: ${REDACTED}!`);
    expect(redact([pem], `whole:\n${pem}`)).toBe(`whole:\n${REDACTED}`);
  });

  it("redacts the beginning of a value cut off by the end of the text", () => {
    // Docker keeps only the first 4 KiB of a healthcheck's output.
    expect(redact(["planted-secret-value"], "output ends with planted-sec")).toBe(`output ends with ${REDACTED}`);
    // ... but not a beginning shorter than the minimum.
    expect(redact(["planted-secret-value"], "output ends with pla")).toBe("output ends with pla");
  });

  it("leaves text without the values as it is", () => {
    expect(redact(["planted-1234"], "nothing to see")).toBe("nothing to see");
    expect(redact([], "nothing to see")).toBe("nothing to see");
  });
});

describe("UntrustedText", () => {
  const planted = "planted-value-5678";

  it("never turns into its text by string conversion, JSON or inspection", () => {
    const t = new UntrustedText(`token ${planted}`);
    expect(String(t)).toBe(WITHHELD);
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a template makes of it is the point
    expect(`${t}`).toBe(WITHHELD);
    expect(JSON.stringify({ excerpt: t })).toBe(`{"excerpt":"${WITHHELD}"}`);
    expect(inspect({ t }, { depth: 5, showHidden: true })).not.toContain(planted);
    expect(Object.keys(t)).toEqual([]);
  });

  it("shows one line: whitespace and control characters become one space", () => {
    const t = new UntrustedText("a\r\nb\t\u0000c\u001b[31md\u202eevil\u200b \u0085end\n");
    expect(t.excerpt(NOTHING_TO_REDACT)).toBe("a b c [31md evil end");
  });

  it(`is at most ${EXCERPT_MAX} characters`, () => {
    const line = new UntrustedText("y".repeat(1000)).excerpt(NOTHING_TO_REDACT);
    expect(line).toHaveLength(EXCERPT_MAX);
    expect(line.endsWith("…")).toBe(true);
  });

  it("redacts before it cuts, so no part of a value straddling the cut shows", () => {
    const line = new UntrustedText(`${"x".repeat(EXCERPT_MAX - 5)}${planted}`).excerpt(valueRedactor([planted]));
    expect(line).not.toContain("plant");
    expect(line.startsWith("x".repeat(EXCERPT_MAX - 5))).toBe(true);
  });

  it("redacts a value cut off where the raw text is capped", () => {
    const long = new UntrustedText(`${"z".repeat(16 * 1024 - 8)}${planted}`);
    expect(long.excerpt(valueRedactor([planted]), 100_000)).not.toContain("planted-");
  });

  it("blanks credential shapes it was not told about", () => {
    const line = new UntrustedText("API_TOKEN=abc123 url https://admin:pw@db.example/x").excerpt(NOTHING_TO_REDACT);
    expect(line).toBe("API_TOKEN=*** url https://***@db.example/x");
  });

  it("untrusted() gives nothing for absent or blank text", () => {
    expect(untrusted(undefined)).toBeUndefined();
    expect(untrusted(null)).toBeUndefined();
    expect(untrusted(" \n\t\u0000")).toBeUndefined();
    expect(untrusted("x")?.excerpt(NOTHING_TO_REDACT)).toBe("x");
  });
});

describe("serviceRedactor and redactedExcerpt", () => {
  let dir: string;
  let secretFile: string;
  const secret = "planted-secret-9012";
  const envValue = "planted-env-3456";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gitdock-unit-untrusted-"));
    secretFile = path.join(dir, "db_password");
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (file: string) => ({
    environment: { API_TOKEN: envValue, SHORT: "on" },
    secrets: [{ source: "db_password", target: "db_password", file, digest: "d" }],
  });

  it("redacts the service's environment values and the contents of its secret files", async () => {
    const redactor = await serviceRedactor(spec(secretFile));
    // The file's content is `<secret>\n`: printed whole by `cat`, its newline goes with it.
    expect(redactor?.redact(`token ${envValue}\n${secret}\nturned on`)).toBe(`token ${REDACTED}\n${REDACTED}turned on`);
  });

  it("gives the one-line excerpt for the local log", async () => {
    const text = new UntrustedText(`checking ${envValue}\n${secret}\n`);
    expect(await redactedExcerpt(text, spec(secretFile))).toBe(`checking ${REDACTED} ${REDACTED}`);
  });

  it("withholds the output when a secret file cannot be read to redact it", async () => {
    const text = new UntrustedText(`checking ${envValue}`);
    const shown = await redactedExcerpt(text, spec(path.join(dir, "missing")));
    expect(shown).toMatch(/^\[output withheld: a secret file of the service could not be read to redact it\]$/);
  });

  it("withholds the output when the service is unknown, and gives nothing for no output", async () => {
    expect(await redactedExcerpt(new UntrustedText(envValue), undefined)).toMatch(/^\[output withheld: /);
    expect(await redactedExcerpt(undefined, spec(secretFile))).toBeUndefined();
  });
});

describe("startFailedError", () => {
  const planted = "planted-runtime-7890";
  const engineAnswer = () =>
    Object.assign(new Error(`(HTTP code 400) unexpected - failed to create task: exec: "/bin/${planted}": not found`), { statusCode: 400 });

  it("says which container and the HTTP status; the Engine's text only in the excerpt", () => {
    const err = startFailedError(engineAnswer(), "shop-web-1");
    expect(err).toBeInstanceOf(ApplyFailedError);
    const e = err as ApplyFailedError;
    expect(e.message).toBe("starting shop-web-1: the Engine could not start it (HTTP 400)");
    expect(e.data).toEqual({ container: "shop-web-1", status: 400 });
    expect(e.cause).toBeUndefined();
    for (const shown of [describeError(e), JSON.stringify(e), JSON.stringify(e.toJSON())]) expect(shown).not.toContain(planted);
    expect(e.excerpt?.excerpt(NOTHING_TO_REDACT)).toContain(`/bin/${planted}`);
  });

  it("keeps a connection failure a retryable Engine error", () => {
    const err = startFailedError(Object.assign(new Error("connect ECONNREFUSED /var/run/docker.sock"), { code: "ECONNREFUSED" }), "shop-web-1");
    expect(err).toBeInstanceOf(EngineUnavailableError);
  });
});
