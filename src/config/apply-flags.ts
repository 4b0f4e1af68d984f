import type { DocPath } from "../manifest/format-path.js";

/**
 * The one place where command-line flags win over the config file. Each flag names the key it
 * replaces; `withFlags` writes the flags' values over the file's at those keys before the one
 * schema checks them all, so a flag is held to the same rules as the key (`--interval 0s` is
 * refused as `agent.interval: 0s` would be) and its problems name the flag.
 */
export const FLAG_KEYS = {
  repo: { flag: "--repo", key: ["repo"] },
  branch: { flag: "--branch", key: ["branch"] },
  path: { flag: "--path", key: ["path"] },
  stateDir: { flag: "--state-dir", key: ["state_dir"] },
  dockerHost: { flag: "--docker-host", key: ["docker_host"] },
  hostId: { flag: "--host-id", key: ["host_id"] },
  interval: { flag: "--interval", key: ["agent", "interval"] },
  listen: { flag: "--listen", key: ["agent", "listen"] },
  shutdownTimeout: { flag: "--shutdown-timeout", key: ["agent", "shutdown_timeout"] },
  webhookSecretFile: { flag: "--webhook-secret-file", key: ["agent", "webhook", "secret_file"] },
} as const satisfies Record<string, { flag: string; key: readonly string[] }>;

/** The flags as commander gives them (camelCase); undefined when not given. `config` names the file itself. */
export type ConfigFlags = { config?: string | undefined } & { [K in keyof typeof FLAG_KEYS]?: string | undefined };

export interface FlaggedConfig {
  /** The file's data with the flags' values written over it. */
  data: unknown;
  /** The flag as given (`--interval often`) when the value at `path`, or one around it, came from a flag. */
  flagAt: (path: DocPath) => string | undefined;
}

export function withFlags(fileData: unknown, flags: ConfigFlags): FlaggedConfig {
  const given = (Object.keys(FLAG_KEYS) as (keyof typeof FLAG_KEYS)[]).flatMap((name) => {
    const value = flags[name];
    return value === undefined ? [] : [{ ...FLAG_KEYS[name], value }];
  });
  if (given.length === 0) return { data: fileData, flagAt: () => undefined };
  // A file that is not a mapping stays as it is: the schema refuses it at its own position.
  const data: unknown = isMapping(fileData) ? structuredClone(fileData) : fileData;
  for (const { key, value } of given) setAt(data, key, value);
  return {
    data,
    flagAt: (path) => {
      const hit = given.find(({ key }) => key.every((k, i) => path[i] === k));
      return hit && `${hit.flag} ${hit.value}`;
    },
  };
}

/** Writes `value` at `key`, making the mappings on the way; a non-mapping on the way is left for the schema to refuse. */
function setAt(data: unknown, key: readonly string[], value: string): void {
  let node = data;
  for (const [i, k] of key.entries()) {
    if (!isMapping(node)) return;
    if (i === key.length - 1) node[k] = value;
    else node = node[k] ??= {};
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
