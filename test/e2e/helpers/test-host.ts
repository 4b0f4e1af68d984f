/**
 * One simulated gitdock host for an end-to-end test: its own state directory, host id and project
 * prefix, and the CLI invoked as a user would, against the real Engine, registry and Git server.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runGitdock, startGitdock, type RunResult, type RunningGitdock } from "../../support/cli.js";
import { containerIp, containersOf, dockerClient, httpGet, removeProjects } from "../../support/docker.js";

export interface TestHost {
  stateDir: string;
  hostId: string;
  /** Run `gitdock <command> --repo ... --state-dir ... --host-id ...` plus extra args. */
  run(command: string, extra?: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<RunResult>;
  /** Start `gitdock <command>` with the host's flags and leave it running (to signal it mid-way). */
  start(command: string, extra?: string[]): RunningGitdock;
  /** name → container ID of every container of a project (running or not). */
  ids(project: string): Promise<Record<string, string>>;
  dispose(): Promise<void>;
}

/** `config`: the agent config file's text (YAML), passed with --config on every command. */
export async function createTestHost(opts: { prefix: string; repo: string; path?: string; config?: string }): Promise<TestHost> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `${opts.prefix}state-`));
  const hostId = opts.prefix.replace(/-+$/, "");
  const configFile = `${stateDir}.config.yaml`;
  if (opts.config !== undefined) await writeFile(configFile, opts.config);
  const common = [
    "--repo",
    opts.repo,
    "--state-dir",
    stateDir,
    "--host-id",
    hostId,
    ...(opts.path ? ["--path", opts.path] : []),
    ...(opts.config !== undefined ? ["--config", configFile] : []),
  ];
  return {
    stateDir,
    hostId,
    run: (command, extra = [], runOpts = {}) =>
      runGitdock([...command.split(" "), ...common, ...extra], { timeoutMs: runOpts.timeoutMs ?? 180_000, env: runOpts.env }),
    start: (command, extra = []) => startGitdock([...command.split(" "), ...common, ...extra]),
    ids: async (project) => Object.fromEntries((await containersOf(project)).map((c) => [c.name, c.id])),
    dispose: async () => {
      await removeProjects(opts.prefix);
      // Networks are `<project>_<key>`: match on the prefix without its trailing dash.
      await removeNetworks(opts.prefix.replace(/-+$/, ""));
      await rm(stateDir, { recursive: true, force: true });
      await rm(configFile, { force: true });
    },
  };
}

async function removeNetworks(prefix: string): Promise<void> {
  const docker = dockerClient();
  for (const n of await docker.listNetworks()) {
    if (n.Name.startsWith(prefix))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
}

/**
 * A small service block for compose files: fast to stop (init, 1s grace), a short health monitor
 * window so gated rollouts do not wait the default 10 s, plus `deploy` lines and other keys.
 */
export function webService(image: string, extra = "", opts: { deploy?: string[]; update?: string[]; monitor?: string } = {}): string {
  return [
    `    image: ${image}`,
    "    init: true",
    "    stop_grace_period: 1s",
    "    deploy:",
    ...(opts.deploy ?? []).map((l) => `      ${l}`),
    "      update_config:",
    `        monitor: ${opts.monitor ?? "300ms"}`,
    ...(opts.update ?? []).map((l) => `        ${l}`),
    "      rollback_config:",
    `        monitor: ${opts.monitor ?? "300ms"}`,
    extra,
  ]
    .filter(Boolean)
    .join("\n");
}

/** The body a container's web server answers on `/` (the test images answer with their variant name). */
export async function servedBy(container: string): Promise<string> {
  const ip = await containerIp(container);
  const r = await httpGet(`http://${ip}:8080/`, { timeoutMs: 2000 });
  return r.body.trim();
}
