import type { DocPath } from "../format-path.js";
import type { ManifestEngine } from "../load/load-environment.js";
import { SWARM_SETTING } from "../swarm/swarm-only-keys.js";

const NOT_SUPPORTED = "not supported by gitdock";

/** Why well-known Compose keys are refused, so the message can say what to do instead. */
const TOP_LEVEL: Record<string, string> = {
  models: "gitdock runs containers only",
};

const SERVICE: Record<string, string> = {
  build: "images must be built elsewhere and pinned by digest",
  scale: "use deploy.replicas",
  gpus: "use deploy.resources.reservations.devices with capabilities: [gpu]",
  pull_refresh_after: "images are pinned by digest, whose content never changes: there is nothing to refresh",
};

/** Keys of a top-level secret other than `file:`. */
const SECRET: Record<string, string> = {
  environment: "a secret comes from a file on the host; gitdock has no shell environment to read it from",
  content: "the value would be in Git; put it in a file on the host and use file:",
  external: "Swarm secrets do not exist on a plain Docker host; use file:",
  name: "a file secret is known by its key",
  driver: "use file:",
  template_driver: "use file:",
  labels: "use file:",
};

/** Keys of a top-level config other than `file:` and `content:`. */
const CONFIG: Record<string, string> = {
  environment: "a config comes from the repository; gitdock has no shell environment to read it from",
  external: "Swarm configs do not exist on a plain Docker host; use file: or content:",
  name: "a config is known by its key",
  template_driver: "use file: or content:",
  labels: "use file: or content:",
};

/**
 * Under `engine: swarm`, what differs: gitdock makes a stack's Swarm secrets and configs itself
 * (named by their content, so a change rotates them), and Swarm's generic resources are not read.
 */
const SWARM_SECRET: Record<string, string> = {
  external:
    "on a Swarm gitdock makes each stack's secrets itself from file:, a file on the manager gitdock runs on or an encrypted file of the repository, named by their content; secrets made outside gitdock are not supported yet",
};

const SWARM_CONFIG: Record<string, string> = {
  external:
    "on a Swarm gitdock makes each stack's configs itself from file: or content:, named by their content; configs made outside gitdock are not supported yet",
};

const GENERIC_RESOURCES: Record<ManifestEngine, string> = {
  containers: `${SWARM_SETTING}; use devices`,
  swarm:
    "Swarm's generic resources are not supported by gitdock yet; constrain placement to the nodes that have the resource with placement.constraints: [node.labels.<label>==<value>]",
};

/** The message for a key the schema does not know, at `parent` (the path of its mapping). */
export function unsupportedKeyMessage(parent: DocPath, key: string, engine: ManifestEngine = "containers"): string {
  const reason = reasonFor(parent, key, engine);
  return reason ? `${NOT_SUPPORTED} (${reason})` : `${NOT_SUPPORTED} (unknown key, or a Compose feature gitdock does not implement)`;
}

function reasonFor(parent: DocPath, key: string, engine: ManifestEngine): string | undefined {
  const [first, , , fourth] = parent;
  const swarm = engine === "swarm";
  if (parent.length === 0) return lookup(TOP_LEVEL, key);
  if (first === "secrets" && parent.length === 2) return (swarm ? lookup(SWARM_SECRET, key) : undefined) ?? lookup(SECRET, key);
  if (first === "configs" && parent.length === 2) return (swarm ? lookup(SWARM_CONFIG, key) : undefined) ?? lookup(CONFIG, key);
  if (first !== "services") return undefined;
  if (parent.length === 2) return lookup(SERVICE, key);
  if (parent.length === 5 && fourth === "resources" && key === "generic_resources") return GENERIC_RESOURCES[engine];
  return undefined;
}

/** Own keys only: a key named `constructor` must not find Object.prototype's. */
function lookup(table: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
