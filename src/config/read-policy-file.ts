import type { HostPolicy } from "../policy/host-policy.js";
import { configInvalid, locateIssues, readConfigDocument } from "./config-document.js";
import { ConfigInvalidError } from "../errors.js";
import { policyFromInput, policySectionSchema } from "./security-section.js";

/**
 * A policy file for `gitdock validate --policy FILE`: YAML with a top-level `policy:` mapping (the
 * same keys as `security.policy` in the agent's config), or the agent's config file itself. Keys
 * left out take the agent's defaults, so CI judges a commit exactly as a host with that policy will.
 */
export async function readPolicyFile(path: string): Promise<HostPolicy> {
  const doc = await readConfigDocument(path, "policy file");
  const data = doc.data;
  const base = isMapping(data) && isMapping(data["security"]) ? ["security", "policy"] : ["policy"];
  const section = base.reduce<unknown>((v, k) => (isMapping(v) ? v[k] : undefined), data);
  if (section === undefined) {
    throw new ConfigInvalidError(`${path}: no policy: mapping (or security.policy:) found`, {
      hint: "See the Security section of the README for the policy keys.",
    });
  }
  const parsed = policySectionSchema.safeParse(section);
  if (!parsed.success) throw configInvalid("invalid policy file", locateIssues(parsed.error.issues, { doc, base }));
  return policyFromInput(parsed.data);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The `engine:` of a policy file that is the agent's config (`gitdock validate` judges the stacks
 * as that host runs them); undefined for a file with only a `policy:` mapping, or a config that
 * leaves it at the default.
 */
export async function readPolicyFileEngine(path: string): Promise<"containers" | "swarm" | undefined> {
  const doc = await readConfigDocument(path, "policy file");
  const engine = isMapping(doc.data) ? doc.data["engine"] : undefined;
  if (engine === undefined || engine === "containers" || engine === "swarm") return engine;
  const pos = doc.locate(["engine"], "value");
  throw new ConfigInvalidError(`${path}:${pos.line}:${pos.col}: engine: expected "containers" or "swarm"`);
}
