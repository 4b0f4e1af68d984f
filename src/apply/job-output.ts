/**
 * A release job's output, kept on the host: the last JOB_OUTPUT_BYTES of what its container printed
 * (stdout and stderr, in order), with the service's environment values and secret contents and the
 * obvious credential shapes redacted, in `<state_dir>/jobs/<project>/<service>.log` (mode 0600),
 * replaced by each run. It is container output, so it goes nowhere else: not in the journal,
 * state.json, git notes or markers. The raw text never leaves `saveJobOutput`; what it returns is
 * UntrustedText, which only a redacted excerpt in the local log shows.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type Docker from "dockerode";
import type { ContainerSpec } from "../model.js";
import { writeFileAtomic } from "../state/index.js";
import { redactCredentialShapes, serviceRedactor, untrusted, type UntrustedText } from "../untrusted/index.js";

/** The most of a job's output that is kept: its tail. */
export const JOB_OUTPUT_BYTES = 64 * 1024;
const TAIL_LINES = 1000;
/** What the failure's excerpt is made from: the end of the output, where a job says why it failed. */
const EXCERPT_SOURCE_BYTES = 2048;

export function jobOutputDir(stateDir: string): string {
  return join(stateDir, "jobs");
}

export function jobOutputFile(dir: string, project: string, service: string): string {
  // Compose names are [a-zA-Z0-9._-]; `.` and `..` alone are kept out of the path all the same.
  const safe = (name: string) => (/^\.+$/.test(name) ? `_${name}` : name.replace(/[^A-Za-z0-9._-]/g, "_"));
  return join(dir, safe(project), `${safe(service)}.log`);
}

/**
 * Reads the tail of the container's output from the Engine and writes the file: a header in
 * gitdock's words, then the output redacted (control characters other than line breaks and tabs
 * removed, so a terminal showing it is not driven). The output is withheld from the file when a
 * secret file of the service cannot be read to redact it. Returns the end of the output, untrusted.
 */
export async function saveJobOutput(
  docker: Docker,
  containerId: string,
  file: string,
  header: string,
  spec: Pick<ContainerSpec, "environment" | "secrets">,
): Promise<UntrustedText | undefined> {
  const raw = await readTail(docker, containerId);
  let body = "(no output)";
  if (raw.trim() !== "") {
    const redactor = await serviceRedactor(spec);
    body = redactor
      ? cleanLines(redactCredentialShapes(redactor.redact(raw)))
      : "[output withheld: a secret file of the service could not be read to redact it]";
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `# ${header}\n${body}\n`);
  return untrusted(raw.slice(-EXCERPT_SOURCE_BYTES));
}

async function readTail(docker: Docker, containerId: string): Promise<string> {
  const container = docker.getContainer(containerId);
  const [info, logs] = await Promise.all([container.inspect(), container.logs({ stdout: true, stderr: true, follow: false, tail: TAIL_LINES })]);
  const bytes = Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs));
  return (info.Config.Tty ? bytes : demultiplex(bytes)).subarray(-JOB_OUTPUT_BYTES).toString("utf8");
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function cleanLines(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(CONTROL, "").replace(/\n+$/, "");
}

/** The Engine's log stream without a TTY: frames of [stream, 0, 0, 0, size (4 bytes, big endian)] and the payload. */
export function demultiplex(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length && buf[at + 1] === 0 && buf[at + 2] === 0 && buf[at + 3] === 0) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return at === 0 ? buf : Buffer.concat(parts);
}
