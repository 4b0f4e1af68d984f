import { ConfigInvalidError } from "../errors.js";
import { touchesGuarded } from "../policy/guarded-paths.js";
import { isUnderAny } from "../policy/host-paths.js";
import { withFlags, type ConfigFlags } from "./apply-flags.js";
import { configInvalid, locateIssues, readConfigDocument, type ConfigDocument } from "./config-document.js";
import { agentConfigSchema, type AgentConfig } from "./config-schema.js";
import { CONFIG_DEFAULTS } from "./defaults.js";
import { guardedFilesOf } from "./guarded-files.js";
import { settingsOf, type Settings } from "./settings.js";

const HINT = "See examples/agent/config.yaml, or point your editor at schema/agent-config.schema.json.";

/**
 * The settings a command runs with: the config file (`--config`, when given) with the flags
 * written over it (apply-flags.ts), checked by the one schema — every problem at once, each with
 * its file:line:col or the flag that gave it — then every default filled in.
 */
export async function loadSettings(flags: ConfigFlags): Promise<Settings> {
  const doc = flags.config === undefined ? undefined : await readConfigDocument(flags.config, "config");
  const flagged = withFlags(doc?.data ?? {}, flags);
  const parsed = agentConfigSchema.safeParse(flagged.data);
  if (!parsed.success) throw configInvalid("invalid agent config", locateIssues(parsed.error.issues, { doc, flagAt: flagged.flagAt }), HINT);
  const settings = settingsOf(parsed.data, flags.config);
  checkVariablesDir(settings);
  return settings;
}

/** The config file as written (no defaults filled in), checked, with every problem located. */
export async function readConfigFile(path: string): Promise<AgentConfig> {
  return checkConfig(await readConfigDocument(path, "config"));
}

function checkConfig(doc: ConfigDocument): AgentConfig {
  const parsed = agentConfigSchema.safeParse(doc.data);
  if (!parsed.success) throw configInvalid("invalid agent config", locateIssues(parsed.error.issues, { doc }), HINT);
  return parsed.data;
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
      hint: `Point it at a directory of its own, e.g. ${CONFIG_DEFAULTS.manifest.variables_dir}.`,
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
