import type { DocPath } from "../format-path.js";

/**
 * How Compose merges a key when a later file (an override file, or a service that `extends`
 * another) sets it again (the Compose Specification, "Merge", and compose-go's rules):
 *  - replace:  the later value wins whole (`command`, `entrypoint`, `healthcheck.test`, each
 *              `ulimits` entry, and `x-*` extension keys);
 *  - keyed:    KEY=VALUE lists or mappings, merged by key, the later value winning (`environment`,
 *              `labels`, `sysctls`, `annotations`);
 *  - names:    a list of names or a mapping by name, merged by name (`depends_on`, service `networks`);
 *  - logging:  merged when both name the same driver (or one names none), else replaced;
 *  - unique:   lists appended, an entry replacing the earlier one with the same unique key
 *              (`volumes` and `configs` and `secrets` by target, `ports` by address, `expose`);
 *  - sequence: a string or a list, appended (`dns`, `dns_search`, `dns_opt`, `env_file`, `tmpfs`,
 *              `extra_hosts`);
 *  - otherwise mappings merge key by key, lists are appended and scalars replaced.
 */
export type MergeRule =
  | { kind: "replace" }
  | { kind: "keyed" }
  | { kind: "names"; listValue: unknown }
  | { kind: "logging" }
  | { kind: "unique"; key: UniqueKind }
  | { kind: "sequence" }
  | { kind: "default" };

export type UniqueKind = "volume" | "port" | "secret" | "config" | "expose" | "name";

const SERVICE_RULES: Record<string, MergeRule> = {
  command: { kind: "replace" },
  entrypoint: { kind: "replace" },
  environment: { kind: "keyed" },
  labels: { kind: "keyed" },
  sysctls: { kind: "keyed" },
  annotations: { kind: "keyed" },
  depends_on: { kind: "names", listValue: { condition: "service_started" } },
  networks: { kind: "names", listValue: null },
  logging: { kind: "logging" },
  volumes: { kind: "unique", key: "volume" },
  ports: { kind: "unique", key: "port" },
  secrets: { kind: "unique", key: "secret" },
  configs: { kind: "unique", key: "config" },
  expose: { kind: "unique", key: "expose" },
  dns: { kind: "sequence" },
  dns_opt: { kind: "sequence" },
  dns_search: { kind: "sequence" },
  env_file: { kind: "sequence" },
  tmpfs: { kind: "sequence" },
  extra_hosts: { kind: "sequence" },
};

const DEFAULT: MergeRule = { kind: "default" };

/** The rule for the value at `path` of a compose document. */
export function mergeRuleAt(path: DocPath): MergeRule {
  const last = path.at(-1);
  if (typeof last === "string" && last.startsWith("x-")) return { kind: "replace" };
  const [top, , key, sub] = path;
  if (top === "services" && path.length === 3 && typeof key === "string")
    return Object.hasOwn(SERVICE_RULES, key) ? (SERVICE_RULES[key] as MergeRule) : DEFAULT;
  if (top === "services" && path.length === 4 && key === "healthcheck" && sub === "test") return { kind: "replace" };
  if (top === "services" && path.length === 4 && key === "ulimits") return { kind: "replace" };
  if (top === "services" && path.length === 4 && key === "deploy" && sub === "labels") return { kind: "keyed" };
  if ((top === "networks" || top === "volumes") && path.length === 3 && key === "labels") return { kind: "keyed" };
  return DEFAULT;
}
