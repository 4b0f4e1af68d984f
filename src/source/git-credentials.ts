import { readFile } from "node:fs/promises";
import { ConfigInvalidError } from "../errors.js";

export interface GitAuthSettings {
  /** User name for basic auth; tokens usually accept any non-empty name. */
  username: string | undefined;
  /** File holding the password or token (first line). Preferred over the environment. */
  passwordFile: string | undefined;
}

export interface GitCredentials {
  username: string;
  password: string;
}

/**
 * Credentials come only from a file or the environment (GITDOCK_GIT_USERNAME, GITDOCK_GIT_PASSWORD),
 * never from argv, so they do not show in `ps` or shell history.
 */
export async function loadGitCredentials(settings: GitAuthSettings, env: NodeJS.ProcessEnv = process.env): Promise<GitCredentials | undefined> {
  const username = settings.username ?? env.GITDOCK_GIT_USERNAME ?? "gitdock";
  if (settings.passwordFile) {
    let text: string;
    try {
      text = await readFile(settings.passwordFile, "utf8");
    } catch (err) {
      throw new ConfigInvalidError(`cannot read git password file ${settings.passwordFile}: ${(err as Error).message}`, {
        hint: "Check the path and that gitdock's user may read it (mode 0600, owned by root).",
      });
    }
    const password = text.split(/\r?\n/)[0]?.trim() ?? "";
    if (!password) throw new ConfigInvalidError(`git password file ${settings.passwordFile} is empty`);
    return { username, password };
  }
  const password = env.GITDOCK_GIT_PASSWORD;
  return password ? { username, password } : undefined;
}
