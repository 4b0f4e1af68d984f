/**
 * The agent's control token. At every start `gitdock run` writes 32 fresh random bytes (hex) to
 * `<state_dir>/agent.token`, mode 0600 in a 0700 directory: only root can read it. `POST /sync`
 * and `GET /status` require it as `Authorization: Bearer <token>`; `gitdock sync --now` and
 * `gitdock status` read it from the state directory they are given. A new token per start means a
 * token read earlier is worthless once the agent restarts, and that a client whose token the agent
 * accepts shares its state directory.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AgentTokenError } from "../errors.js";
import { writeFileAtomic } from "../state/atomic-file.js";
import { ensureStateDir, STATE_FILES } from "../state/state-dir.js";

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[0-9a-f]{64}$/;

export function controlTokenPath(stateDir: string): string {
  return join(stateDir, STATE_FILES.agentToken);
}

export function newControlToken(): string {
  return randomBytes(TOKEN_BYTES).toString("hex");
}

/** Replaces the token file atomically (a client never reads half a token), mode 0600. */
export async function writeControlToken(stateDir: string, token: string): Promise<void> {
  const dir = await ensureStateDir(stateDir);
  await writeFileAtomic(controlTokenPath(dir), `${token}\n`, { mode: 0o600 });
}

/** The token the running agent wrote; an AgentTokenError naming the file when it cannot be read. */
export async function readControlToken(stateDir: string): Promise<string> {
  const file = controlTokenPath(stateDir);
  const hint = `The running agent writes it at start, readable by root only: run this command as root, and check that --state-dir (or state_dir in --config) is the agent's.`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message;
    throw new AgentTokenError(`cannot read the agent's token ${file}: ${why}`, { hint, data: { file }, cause: err });
  }
  const token = text.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new AgentTokenError(`the agent's token ${file} is not 64 hex digits`, {
      hint: `Restart the agent (systemctl restart gitdock) to write a new one.`,
      data: { file },
    });
  }
  return token;
}

/** `Authorization: Bearer <token>` holds the expected token. Constant-time over equal-length digests. */
export function bearerMatches(authorization: string | string[] | undefined, expected: string): boolean {
  const m = typeof authorization === "string" ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization) : null;
  const given = createHash("sha256")
    .update(m?.[1] ?? "")
    .digest();
  const wanted = createHash("sha256").update(expected).digest();
  return timingSafeEqual(given, wanted) && m !== null && expected !== "";
}
