/**
 * A manifest repository served by the test Git server: a bare repository `<root>/<name>.git`
 * (HEAD → main, pushes allowed over HTTP) plus a working clone in a temp dir. Tests write files,
 * commit, and the commit is pushed to the bare repository over the filesystem path, so the agent
 * sees it over HTTP at `url`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/** What createManifestRepo needs of a Git server: a started GitServer, or `{url, root}` from the provided test env. */
export interface GitServerLocation {
  url: string;
  root: string;
}

export interface CommitOptions {
  /** Extra `-c key=value` settings for the commit (e.g. `gpg.format: "ssh"`, `user.signingkey: KEY`). */
  config?: Record<string, string>;
  /** Extra arguments to `git commit` (e.g. `["-S"]` to sign). */
  args?: string[];
}

export interface ManifestRepo {
  /** HTTP URL of the bare repository on the test Git server. */
  url: string;
  /** Filesystem path of the bare repository. */
  bareDir: string;
  /** Filesystem path of the working clone. */
  workDir: string;
  /** Branch the commits go to (always `main`). */
  branch: string;
  write(relPath: string, content: string): Promise<void>;
  read(relPath: string): Promise<string>;
  remove(relPath: string): Promise<void>;
  /** `git add -A`, commit with the fixed test identity (empty commits allowed), push to the bare repo; returns the full SHA. */
  commit(message: string, opts?: CommitOptions): Promise<string>;
  /** Full SHA of the working clone's HEAD. */
  head(): Promise<string>;
  /** Force-push the branch back to `commit` (the working clone too): a rewind, as a compromised server could serve it. */
  resetTo(commit: string): Promise<void>;
  /**
   * Start an unrelated history: the next `commit` is a new root commit (with the working tree as
   * it is) and replaces the branch when it is force-pushed.
   */
  startUnrelatedHistory(): Promise<void>;
  /** Run git in the working clone with an argument array; returns stdout. */
  git(args: string[]): Promise<string>;
  /** Removes the bare repository and the working clone. */
  dispose(): Promise<void>;
}

export const TEST_GIT_IDENTITY = { name: "gitdock test", email: "test@gitdock.invalid" } as const;

const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: TEST_GIT_IDENTITY.name,
  GIT_AUTHOR_EMAIL: TEST_GIT_IDENTITY.email,
  GIT_COMMITTER_NAME: TEST_GIT_IDENTITY.name,
  GIT_COMMITTER_EMAIL: TEST_GIT_IDENTITY.email,
};

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP("git", args, { cwd, env: gitEnv, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(" ")} (in ${cwd}) failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

function safeJoin(base: string, relPath: string): string {
  const full = path.resolve(base, relPath);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new Error(`path escapes the repository: ${relPath}`);
  }
  return full;
}

export async function createManifestRepo(server: GitServerLocation, name: string): Promise<ManifestRepo> {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name)) throw new Error(`bad repository name: ${name}`);
  const branch = "main";
  const bareDir = path.join(server.root, `${name}.git`);
  await mkdir(path.dirname(bareDir), { recursive: true });
  await rm(bareDir, { recursive: true, force: true });
  await git(server.root, ["init", "--quiet", "--bare", bareDir]);
  await git(bareDir, ["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
  await git(bareDir, ["config", "http.receivepack", "true"]);

  const workDir = await mkdtemp(path.join(os.tmpdir(), `gdt-manifest-${name.replace(/\//g, "_")}-`));
  await git(workDir, ["init", "--quiet", `--initial-branch=${branch}`]);
  await git(workDir, ["config", "user.name", TEST_GIT_IDENTITY.name]);
  await git(workDir, ["config", "user.email", TEST_GIT_IDENTITY.email]);
  await git(workDir, ["config", "commit.gpgsign", "false"]);
  await git(workDir, ["remote", "add", "origin", bareDir]);

  return {
    url: `${server.url}/${name}.git`,
    bareDir,
    workDir,
    branch,
    async write(relPath, content) {
      const file = safeJoin(workDir, relPath);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    },
    async read(relPath) {
      return readFile(safeJoin(workDir, relPath), "utf8");
    },
    async remove(relPath) {
      await rm(safeJoin(workDir, relPath), { recursive: true, force: true });
    },
    async commit(message, opts = {}) {
      await git(workDir, ["add", "-A"]);
      const cfg = Object.entries(opts.config ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
      await git(workDir, [...cfg, "commit", "--quiet", "--allow-empty", "-m", message, ...(opts.args ?? [])]);
      await git(workDir, ["push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`]);
      return (await git(workDir, ["rev-parse", "HEAD"])).trim();
    },
    async head() {
      return (await git(workDir, ["rev-parse", "HEAD"])).trim();
    },
    async resetTo(commit) {
      await git(workDir, ["reset", "--quiet", "--hard", commit]);
      await git(workDir, ["push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`]);
    },
    async startUnrelatedHistory() {
      await git(workDir, ["checkout", "--quiet", "--orphan", `unrelated-${Date.now()}`]);
    },
    async git(args) {
      return git(workDir, args);
    },
    async dispose() {
      await rm(workDir, { recursive: true, force: true });
      await rm(bareDir, { recursive: true, force: true });
    },
  };
}
