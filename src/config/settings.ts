import { hostname } from "node:os";
import { ConfigInvalidError } from "../errors.js";
import { agentSectionDefaults, type AgentSection } from "./agent-section.js";
import type { AgentConfig } from "./config-schema.js";
import { CONFIG_DEFAULTS } from "./defaults.js";
import { filesSectionDefaults, type FilesSection } from "./files-section.js";
import { manifestSectionDefaults, type ManifestSection } from "./manifest-section.js";
import { reportSectionDefaults, type ReportSection } from "./report-section.js";
import { securitySectionDefaults, type SecuritySection } from "./security-section.js";
import { secretsSectionDefaults, type SecretsSection } from "./secrets-section.js";
import { driftSectionDefaults, type DriftSection } from "./drift-section.js";

/** What every command runs with: the config (flags written over it) with every default filled in, in the code's own form. */
export interface Settings {
  repo: string | undefined;
  branch: string;
  path: string;
  stateDir: string;
  dockerHost: string | undefined;
  hostId: string;
  concurrency: number;
  /** `containers` (one host) or `swarm` (services of the Swarm this Engine manages: src/swarm/). */
  engine: "containers" | "swarm";
  registryAuth: string | undefined;
  git: { username: string | undefined; passwordFile: string | undefined };
  configFile: string | undefined;
  agent: AgentSection;
  security: SecuritySection;
  report: ReportSection;
  files: FilesSection;
  manifest: ManifestSection;
  secrets: SecretsSection;
  drift: DriftSection;
}

/** A checked config (flags already written over it) → Settings, every default from CONFIG_DEFAULTS. */
export function settingsOf(config: AgentConfig, configFile: string | undefined): Settings {
  return {
    repo: config.repo,
    branch: config.branch ?? CONFIG_DEFAULTS.branch,
    path: normalizeRepoPath(config.path ?? CONFIG_DEFAULTS.path),
    stateDir: config.state_dir ?? CONFIG_DEFAULTS.state_dir,
    dockerHost: config.docker_host,
    hostId: config.host_id ?? hostname(),
    concurrency: config.concurrency ?? CONFIG_DEFAULTS.concurrency,
    engine: config.engine ?? CONFIG_DEFAULTS.engine,
    registryAuth: config.registry_auth,
    git: { username: config.git?.username, passwordFile: config.git?.password_file },
    configFile,
    agent: agentSectionDefaults(config.agent),
    security: securitySectionDefaults(config.security),
    report: reportSectionDefaults(config.report),
    files: filesSectionDefaults(config.files),
    manifest: manifestSectionDefaults(config.manifest),
    secrets: secretsSectionDefaults(config.secrets),
    drift: driftSectionDefaults(config.drift),
  };
}

/** `path` is a directory inside the repository (the schema refuses `..`): no leading `./` or `/`, no trailing `/`. */
function normalizeRepoPath(p: string): string {
  const clean = p.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  return clean === "." ? "" : clean;
}

export function requireRepo(settings: Settings): string {
  if (!settings.repo) {
    throw new ConfigInvalidError("no manifest repository given", { hint: "Pass --repo URL|PATH or set repo: in --config." });
  }
  return settings.repo;
}
