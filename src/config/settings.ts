import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigInvalidError } from "../errors.js";
import { touchesGuarded } from "../policy/guarded-paths.js";
import { isUnderAny } from "../policy/host-paths.js";
import { guardedFilesOf } from "./guarded-files.js";
import { agentSectionDefaults, agentSectionSchema, type AgentSection } from "./agent-section.js";
import { filesSectionDefaults, filesSectionSchema, type FilesSection } from "./files-section.js";
import { driftSectionDefaults, driftSectionSchema, type DriftSection } from "./drift-section.js";
import { manifestSectionDefaults, manifestSectionSchema, type ManifestSection } from "./manifest-section.js";
import { reportSectionDefaults, reportSectionSchema, type ReportSection } from "./report-section.js";
import { securitySectionDefaults, securitySectionSchema, type SecuritySection } from "./security-section.js";

/**
 * The agent's configuration file (`--config FILE`). It belongs to the host's root, not to the
 * manifest repository. Every key can also be given as a flag; flags win.
 */
export const agentConfigSchema = z
  .object({
    repo: z.string().min(1).describe("Manifest repository: an https:// URL or a local path").optional(),
    branch: z.string().min(1).describe("Branch to follow (default main)").optional(),
    path: z.string().describe("Directory of the repository this host reads (default: the root)").optional(),
    state_dir: z.string().min(1).describe("State directory (default /var/lib/gitdock)").optional(),
    docker_host: z.string().min(1).describe("Engine address: unix:///path or tcp://host:port (default DOCKER_HOST or the local socket)").optional(),
    host_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .describe("This agent's name in labels, logs and notes (default the hostname)")
      .optional(),
    concurrency: z.number().int().min(1).max(64).describe("Engine calls in flight at once (default 8)").optional(),
    registry_auth: z.string().describe("Docker config.json with registry credentials (default ~/.docker/config.json)").optional(),
    git: z
      .object({
        username: z.string().min(1).optional(),
        password_file: z.string().min(1).describe("File with the password or token; never put it on the command line").optional(),
      })
      .strict()
      .optional(),
    /** `gitdock run`: triggers, endpoints, windows (agent-section.ts). */
    agent: agentSectionSchema.optional(),
    /** Signature verification and host policy (security-section.ts). */
    security: securitySectionSchema.optional(),
    /** Git notes and deployment markers (report-section.ts). */
    report: reportSectionSchema.optional(),
    /** Files from the repository and data directories (files-section.ts). */
    files: filesSectionSchema.optional(),
    /** Host variables, the agent's environment, active profiles (manifest-section.ts). */
    manifest: manifestSectionSchema.optional(),
    /** Containers changed in place: exec sessions and writable-layer changes (drift-section.ts). */
    drift: driftSectionSchema.optional(),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export interface Settings {
  repo: string | undefined;
  branch: string;
  path: string;
  stateDir: string;
  dockerHost: string | undefined;
  hostId: string;
  concurrency: number;
  registryAuth: string | undefined;
  git: { username: string | undefined; passwordFile: string | undefined };
  configFile: string | undefined;
  agent: AgentSection;
  security: SecuritySection;
  report: ReportSection;
  files: FilesSection;
  manifest: ManifestSection;
  drift: DriftSection;
}

/** Flags as commander gives them (camelCase); undefined when not given. */
export interface SettingsFlags {
  config?: string;
  repo?: string;
  branch?: string;
  path?: string;
  stateDir?: string;
  dockerHost?: string;
  hostId?: string;
}

export async function loadSettings(flags: SettingsFlags): Promise<Settings> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const settings: Settings = {
    repo: flags.repo ?? file.repo,
    branch: flags.branch ?? file.branch ?? "main",
    path: normalizeRepoPath(flags.path ?? file.path ?? ""),
    stateDir: flags.stateDir ?? file.state_dir ?? "/var/lib/gitdock",
    dockerHost: flags.dockerHost ?? file.docker_host,
    hostId: flags.hostId ?? file.host_id ?? hostname(),
    concurrency: file.concurrency ?? 8,
    registryAuth: file.registry_auth,
    git: { username: file.git?.username, passwordFile: file.git?.password_file },
    configFile: flags.config,
    agent: agentSectionDefaults(file.agent),
    security: securitySectionDefaults(file.security),
    report: reportSectionDefaults(file.report),
    files: filesSectionDefaults(file.files),
    manifest: manifestSectionDefaults(file.manifest),
    drift: driftSectionDefaults(file.drift),
  };
  checkVariablesDir(settings);
  return settings;
}

/**
 * `manifest.variables_dir` holds files a commit's `${VAR}` reads into containers: it must be a
 * place a commit could read as an `env_file` anyway (under `security.policy.env_file_roots`), and
 * never hold the agent's own files. The default that does not fit the roots is only left unread.
 */
function checkVariablesDir(settings: Settings): void {
  const { variablesDir, variablesDirSet } = settings.manifest;
  const guarded = touchesGuarded(variablesDir, guardedFilesOf(settings));
  if (guarded !== undefined) {
    throw new ConfigInvalidError(`manifest.variables_dir ${variablesDir} holds or is one of the agent's own files (${guarded})`, {
      hint: "Point it at a directory of its own, e.g. /etc/gitdock/env.",
    });
  }
  if (variablesDirSet && !isUnderAny(variablesDir, settings.security.policy.envFileRoots)) {
    throw new ConfigInvalidError(
      `manifest.variables_dir ${variablesDir} is not under security.policy.env_file_roots (${settings.security.policy.envFileRoots.join(", ")})`,
      {
        hint: "Move the directory under an env_file root, or add it to security.policy.env_file_roots.",
      },
    );
  }
}

export async function readConfigFile(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigInvalidError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${path}: ${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new ConfigInvalidError(`invalid agent config:\n  ${lines.join("\n  ")}`, { hint: "See examples/agent/config.yaml." });
  }
  return parsed.data;
}

/** `--path` is a directory inside the repository: no leading `./` or `/`, no trailing `/`. */
function normalizeRepoPath(p: string): string {
  const clean = p.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  if (clean === ".") return "";
  if (clean.split("/").includes("..")) throw new ConfigInvalidError(`--path ${p} must stay inside the repository`);
  return clean;
}

export function requireRepo(settings: Settings): string {
  if (!settings.repo) {
    throw new ConfigInvalidError("no manifest repository given", { hint: "Pass --repo URL|PATH or set repo: in --config." });
  }
  return settings.repo;
}
