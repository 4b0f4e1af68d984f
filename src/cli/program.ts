/**
 * The commands, their options and exit codes; loaded by main.ts. Each command's module is loaded
 * when that command runs, so `gitdock validate` in a pull request's checks does not load the
 * Engine client, Git and the agent.
 */
import { Command, Option } from "commander";
import type { ConfigFlags } from "../config/apply-flags.js";
import { CONFIG_DEFAULTS } from "../config/defaults.js";
import { loadSettings } from "../config/load-settings.js";
import { GitdockError, describeError } from "../errors.js";
import { createLogger } from "../log.js";
import type { FleetSourceFlags } from "./commands/fleet-source-flags.js";
import type { HistoryFlags } from "./commands/history.js";
import type { PinFlags } from "./commands/pin.js";
import type { ValidateOptions } from "./commands/validate.js";
import { EXIT, exitCodeForError } from "./exit-codes.js";

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "agent config file (YAML); flags win over it")
    .option("--repo <url|path>", "manifest repository: https:// URL or local path")
    .option("--branch <name>", `branch to follow (default: ${CONFIG_DEFAULTS.branch})`)
    .option("--path <dir>", "directory of the repository this host reads (default: the root)")
    .option("--state-dir <dir>", `state directory (default: ${CONFIG_DEFAULTS.state_dir})`)
    .option("--docker-host <url>", "Engine address (default: DOCKER_HOST, else the local socket)")
    .option("--host-id <name>", "this agent's name in labels and logs (default: the hostname)");
}

/** Run a command body; print errors once, in one place, and turn them into exit codes. */
function action<A extends unknown[]>(body: (...args: A) => Promise<number>) {
  return async (...args: A) => {
    try {
      process.exitCode = await body(...args);
    } catch (err) {
      process.stderr.write(`gitdock: ${describeError(err)}\n`);
      if (err instanceof GitdockError && process.env.GITDOCK_DEBUG) process.stderr.write(`${JSON.stringify(err.toJSON())}\n`);
      else if (!(err instanceof GitdockError) && process.env.GITDOCK_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = exitCodeForError(err);
    }
  };
}

const program = new Command().name("gitdock").description("GitOps agent for plain Docker hosts").version("0.1.0").showHelpAfterError();

withCommonOptions(program.command("sync"))
  .description("reconcile the host with the branch once (exit 0 in sync, 1 error, 3 rolled back/held, 4 rejected or halted, 5 waiting for a sync window)")
  .option("--now", "ask the running agent (on --listen) for a pass and wait for it; without an agent, sync here")
  .option("--listen <host:port>", `where the running agent listens (default: agent.listen, else ${CONFIG_DEFAULTS.agent.listen})`)
  .action(
    action(async (flags: ConfigFlags & { now?: boolean }) =>
      (await import("./commands/sync.js")).syncCommand(await loadSettings(flags), createLogger(), flags),
    ),
  );

withCommonOptions(program.command("run"))
  .description("run the agent: reconcile on polls, webhooks, Engine events and signals until SIGTERM")
  .option("--interval <duration>", `poll interval, e.g. 60s, 5m (default: agent.interval, else ${CONFIG_DEFAULTS.agent.interval})`)
  .option(
    "--listen <host:port>",
    `address of /metrics, /healthz, /readyz, /status, /hooks/git, /sync (default: agent.listen, else ${CONFIG_DEFAULTS.agent.listen})`,
  )
  .option(
    "--shutdown-timeout <duration>",
    `on SIGTERM, how long a rollout may run before it is rolled back (default: agent.shutdown_timeout, else ${CONFIG_DEFAULTS.agent.shutdown_timeout})`,
  )
  .option("--webhook-secret-file <file>", "file with the webhook secret (default: agent.webhook.secret_file)")
  .action(action(async (flags: ConfigFlags) => (await import("./commands/run.js")).runCommand(flags, createLogger())));

withCommonOptions(program.command("plan"))
  .description("show what a sync would change, changing nothing")
  .option("--json", "print the plan as JSON")
  .option("--detailed-exitcode", "exit 0 without changes, 2 with changes, 1 on error")
  .action(
    action(async (flags: ConfigFlags & { json?: boolean; detailedExitcode?: boolean }) =>
      (await import("./commands/plan.js")).planCommand(await loadSettings(flags), createLogger(), flags),
    ),
  );

program
  .command("validate")
  .description("validate Compose manifests for pull-request CI (no Docker, no network)")
  .argument("<paths...>", "host directories or compose files")
  .option("--json", "print the result as JSON")
  .option("--policy <file>", "also check a host policy (YAML with a policy: mapping, or an agent config)")
  .option("--env-file <file>", "the host's variables (KEY=VALUE) for every stack validated; without it, a ${VAR} only the host sets is a warning")
  .option("--profile <name>", "a Compose profile active on the host (repeatable)", (value: string, all: string[] = []) => [...all, value])
  .option("--strict", "fail on warnings too (variables only the host sets, Compose files no stack deploys)")
  .option("--identity <file>", "a host's key (age identity file or armored OpenPGP private key): also decrypt encrypted files in memory and check their MACs")
  .addOption(
    new Option(
      "--engine <engine>",
      "what the host runs the stacks as: plain containers, or services of a Swarm (default: the --policy agent config's engine:, else containers)",
    ).choices(["containers", "swarm"]),
  )
  .action(action(async (paths: string[], opts: ValidateOptions) => (await import("./commands/validate.js")).validateCommand(paths, opts)));

program
  .command("pin")
  .description("pin every image by digest, asking its registry, and rewrite the files in place (exit 1 with --check when something is not pinned)")
  .argument("[paths...]", "compose files (any name) or directories searched as validate does (default: the current directory)")
  .option("--check", "change nothing; list every image not pinned by digest with file:line:col and exit 1 (offline)")
  .option("--update", "also move name:tag@digest references to the tag's current digest")
  .option("--config <file>", "agent config file: its registry_auth: names the credentials")
  .option("--registry-auth <file>", "Docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json)")
  .action(action(async (paths: string[], opts: PinFlags) => (await import("./commands/pin.js")).pinCommand(paths, opts)));

withCommonOptions(program.command("status"))
  .description("show the applied, last good and failed commits and the managed containers")
  .option("--json", "print the status as JSON")
  .option("--listen <host:port>", `ask the running agent there first (default: agent.listen, else ${CONFIG_DEFAULTS.agent.listen})`)
  .action(action(async (flags: ConfigFlags & { json?: boolean }) => (await import("./commands/status.js")).statusCommand(await loadSettings(flags), flags)));

withCommonOptions(program.command("retry"))
  .description("clear a failed or rejected commit so the next sync applies it once more")
  .argument("[commit]", "the commit (a unique prefix); default: the only marked one")
  .option("--allow-rewind", "also let the commit through once although it does not descend from the last good commit (verify.mode enforce)")
  .action(
    action(async (commit: string | undefined, flags: ConfigFlags & { allowRewind?: boolean }) =>
      (await import("./commands/retry.js")).retryCommand(await loadSettings(flags), commit, flags),
    ),
  );

const state = program.command("state").description("the state directory");
withCommonOptions(state.command("rebuild"))
  .description(
    "move a corrupt state.json (and an unreadable host.key) aside and rebuild the last good commit from the labels of the containers this host runs, with one sync",
  )
  .option("--force", "move state.json aside and rebuild even when it reads fine (its failed marks and history are lost)")
  .action(
    action(async (flags: ConfigFlags & { force?: boolean }) => {
      const settings = await loadSettings(flags);
      return (await import("./commands/state-rebuild.js")).stateRebuildCommand(settings, createLogger(), { force: flags.force === true });
    }),
  );

withCommonOptions(program.command("history"))
  .description(
    "the commits that touched this host's path, what they changed, and this host's outcomes (offline; exit 1 with --verify when the journal is broken)",
  )
  .option("--since <date|age>", "only commits since a date (2026-11-01) or an age (12h, 7d, 2w)")
  .option("--stack <name>", "only commits that changed this stack (project name)")
  .option("--service <name>", "only commits that changed this service")
  .option("--json", "print the history as JSON")
  .option("--verify", "check the journal's hash chain instead; print the first broken, missing or torn line")
  .option("--fetch", "deepen the local clone of an http(s) repository first (the only option that uses the network)")
  .option("--depth <n>", "with --fetch: how many commits deep (default 500; --since alone deepens to that date)")
  .action(action(async (flags: ConfigFlags & HistoryFlags) => (await import("./commands/history.js")).historyCommand(await loadSettings(flags), flags)));

const fleet = program.command("fleet").description("the fleet's waves, from Git alone (fleet.yaml and the hosts' signed outcome lines in git notes)");

fleet
  .command("key")
  .description("print this host's public key line for the fleet file's hosts.<id>.key (creating the key if missing, as the agent does)")
  .option("--config <file>", "agent config file (YAML): report.outcome_key_file, state_dir, host_id")
  .option("--state-dir <dir>", `state directory (default: ${CONFIG_DEFAULTS.state_dir})`)
  .option("--host-id <name>", "this host's id (default: the hostname); names the key's comment")
  .action(action(async (flags: ConfigFlags) => (await import("./commands/fleet-key.js")).fleetKeyCommand(await loadSettings(flags))));

function withFleetSourceOptions(cmd: Command, commits: number): Command {
  return cmd
    .option("--config <file>", "agent config file (YAML): repo, branch, path, report.notes_ref and the Git credentials")
    .option("--repo <url|path>", "manifest repository: https:// URL or local path")
    .option("--branch <name>", `branch the fleet follows (default: ${CONFIG_DEFAULTS.branch})`)
    .option("--path <dir>", "the hosts' manifest path; the fleet file is the nearest fleet.yaml from it up to the root (default: the root)")
    .option("--notes-ref <ref>", `the notes ref the hosts report to (default: report.notes_ref, else ${CONFIG_DEFAULTS.report.notes_ref})`)
    .option("--commits <n>", `recent commits to show (default ${commits})`)
    .option("--depth <n>", "commits of the branch fetched from a remote repository (default 500)")
    .option("--cache-dir <dir>", "where a remote repository is cached (default: $XDG_CACHE_HOME/gitdock/fleet, else ~/.cache/gitdock/fleet)");
}

withFleetSourceOptions(fleet.command("status"), 10)
  .description("per host the commit it runs and since when; per recent commit its waves, what holds it and why (from Git alone)")
  .option("--json", "print the status as JSON (schema gitdock.fleet-status/v1, see docs/audit.md)")
  .action(
    action(async (flags: ConfigFlags & FleetSourceFlags & { json?: boolean }) =>
      (await import("./commands/fleet-status.js")).fleetStatusCommand(await loadSettings(flags), flags),
    ),
  );

withFleetSourceOptions(fleet.command("report"), 30)
  .description("write one self-contained HTML page for auditors: hosts x commits with every outcome, authors, signatures, changes, rollbacks")
  .requiredOption("--html <file>", "the HTML file to write")
  .action(
    action(async (flags: ConfigFlags & FleetSourceFlags & { html: string }) =>
      (await import("./commands/fleet-report.js")).fleetReportCommand(await loadSettings(flags), flags),
    ),
  );

program.addOption(new Option("--no-color").hideHelp());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`gitdock: ${describeError(err)}\n`);
  process.exitCode = EXIT.error;
});
