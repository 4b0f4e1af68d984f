import type { RequestScope, SwarmObject } from "./request-scope.js";
import { swarmLabels } from "./swarm-labels.js";
import { describe, eachItem, finding, isObject, nested, type FieldTable, type Finding, type Judge } from "./walk-fields.js";

/**
 * Swarm secrets and configs (Engine API 1.41: SecretSpec, ConfigSpec, and the references in a
 * ContainerSpec). gitdock creates one per Compose secret or config of a stack, named
 * `<project>_...` (src/swarm/ adds a content hash, so a change rotates it). A service may mount
 * only those: a commit must not reach a secret of another stack, or one an operator created by
 * hand, by naming it. The content (`Data`) is free and never quoted in a message.
 */

type Kind = "secret" | "config";

function declared(kind: Kind, scope: RequestScope): ReadonlySet<string> {
  return kind === "secret" ? scope.stackSecrets : scope.stackConfigs;
}

function onEngine(kind: Kind, scope: RequestScope): ReadonlyMap<string, SwarmObject> | undefined {
  return kind === "secret" ? scope.engine?.secrets : scope.engine?.configs;
}

/** A name a create or a reference gives: one of this stack's own, not one on the Engine that gitdock does not own. */
function stackObjectName(kind: Kind, name: string, field: string, scope: RequestScope): Finding[] {
  if (!name.startsWith(`${scope.project}_`)) {
    return finding(
      field,
      `${kind} ${describe(name)} is not one of stack ${scope.project}'s: gitdock names them ${scope.project}_<name>, and a service may use only those`,
    );
  }
  if (!declared(kind, scope).has(name)) return finding(field, `${kind} ${name} is not a ${kind} this stack declares`);
  return onEngine(kind, scope)?.get(name)?.managed === false ? finding(field, `${kind} ${name} already exists on the Swarm and gitdock does not own it`) : [];
}

const driver = "absent" as const;

/** POST /secrets/create. A secret driver would fetch the value from elsewhere, a templating driver expand it with the task's data. */
export const SECRET_SPEC_FIELDS: FieldTable<RequestScope> = {
  Name: (value, field, scope) => stackObjectName("secret", String(value), field, scope),
  Labels: swarmLabels,
  Data: "free",
  Driver: driver,
  Templating: driver,
};

/** POST /configs/create. */
export const CONFIG_SPEC_FIELDS: FieldTable<RequestScope> = {
  Name: (value, field, scope) => stackObjectName("config", String(value), field, scope),
  Labels: swarmLabels,
  Data: "free",
  Templating: driver,
};

/** Where the file appears in the container and whose it is: the container's own business. */
const FILE_TARGET = nested<RequestScope>({ Name: "free", UID: "free", GID: "free", Mode: "free" });

export const SECRET_REFERENCE_FIELDS: FieldTable<RequestScope> = { File: FILE_TARGET, SecretID: "free", SecretName: "free" };
/** `Runtime` hands the config to the runtime (a Windows credential spec), not to the container: refused. */
export const CONFIG_REFERENCE_FIELDS: FieldTable<RequestScope> = { File: FILE_TARGET, Runtime: "absent", ConfigID: "free", ConfigName: "free" };

/**
 * `ContainerSpec.Secrets` / `.Configs`. The Engine finds the object by its id; the name is for
 * people. So the name is judged, and an id, when sent and when the Engine's view is at hand, must
 * be the named object's: gitdock resolves ids from the names judged here, never from the commit.
 * An id the view does not know, for a name it does not know either, is one gitdock created after
 * looking (this pass's secret create, judged above by its name).
 */
export function references(kind: Kind): Judge<RequestScope> {
  const table = kind === "secret" ? SECRET_REFERENCE_FIELDS : CONFIG_REFERENCE_FIELDS;
  const [idKey, nameKey] = kind === "secret" ? ["SecretID", "SecretName"] : ["ConfigID", "ConfigName"];
  return eachItem((item, field, scope) => {
    if (!isObject(item)) return finding(field, `expected a ${kind} reference, got ${describe(item)}`);
    const out = nested(table)(item, field, scope);
    const name = typeof item[nameKey] === "string" ? item[nameKey] : "";
    if (name === "") return [...out, ...finding(`${field}.${nameKey}`, `a ${kind} reference must name the ${kind} (gitdock resolves its id from the name)`)];
    out.push(...stackObjectName(kind, name, `${field}.${nameKey}`, scope));
    const id = typeof item[idKey] === "string" ? item[idKey] : "";
    if (id !== "") out.push(...idOfName(kind, id, name, `${field}.${idKey}`, scope));
    return out;
  });
}

function idOfName(kind: Kind, id: string, name: string, field: string, scope: RequestScope): Finding[] {
  const engine = onEngine(kind, scope);
  const named = [...(engine ?? [])].find(([, o]) => o.id === id)?.[0];
  if (named !== undefined && named !== name) return finding(field, `${kind} id ${id} is the ${kind} ${named}, not ${name}: the Engine would mount ${named}`);
  const known = engine?.get(name);
  if (named === undefined && known !== undefined)
    return finding(field, `${kind} id ${id} is not the id of ${kind} ${name} (${known.id}): the Engine mounts by id`);
  return [];
}
