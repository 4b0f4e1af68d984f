/**
 * Runs the built CLI (`dist/cli/main.js`, produced by `npm run build`) as a child process, the
 * way a user would. `runGitdock` waits for it to exit; `startGitdock` leaves it running (agent mode).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_PATH = path.join(REPO_ROOT, "dist", "cli", "main.js");

export interface RunOptions {
  /** Added to (and overriding) the test process's environment. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  /** Kill (SIGKILL) after this long; the result then has `code: null`. Default 60 s. */
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal (or the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  signal?: NodeJS.Signals | null;
  timedOut?: boolean;
}

function spawnCli(args: string[], opts: RunOptions): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function runGitdock(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin!.on("error", () => {
      /* the CLI may exit without reading stdin */
    });
    child.stdin!.end(opts.input ?? "");
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, stdout, stderr, signal, timedOut });
    });
  });
}

export interface RunningGitdock {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches `re` (bounded; default 30 s), with the match. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM), waits up to `timeoutMs` (default 20 s), then SIGKILLs; resolves with the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<RunResult>;
}

/** Starts the CLI and leaves it running (e.g. the agent loop). Always `stop()` it in a finally/afterAll. */
export function startGitdock(args: string[], opts: Omit<RunOptions, "timeoutMs"> = {}): RunningGitdock {
  const child = spawnCli(args, opts);
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    notify();
  });
  child.stdin!.on("error", () => {});
  child.stdin!.end(opts.input ?? "");
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      resolve({ code, signal });
      notify();
    });
  });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re) ?? err.match(re);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`gitdock exited (${child.exitCode ?? child.signalCode}) before printing ${re}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for gitdock output ${re}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM", timeoutMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const { code, signal: sig } = await exited;
      clearTimeout(timer);
      return { code, signal: sig, stdout: out, stderr: err };
    },
  };
}
