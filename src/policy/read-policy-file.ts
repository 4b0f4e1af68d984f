import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { policyFromInput, policySectionSchema } from "../config/security-section.js";
import { ConfigInvalidError } from "../errors.js";
import { createLocator } from "../manifest/yaml/locate-node.js";
import type { HostPolicy } from "./host-policy.js";

/**
 * A policy file for `gitdock validate --policy FILE`: YAML with a top-level `policy:` mapping (the
 * same keys as `security.policy` in the agent's config), or the agent's config file itself. Keys
 * left out take the agent's defaults, so CI judges a commit exactly as a host with that policy will.
 */
export async function readPolicyFile(path: string): Promise<HostPolicy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read policy file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const pos = lineCounter.linePos(first?.pos[0] ?? 0);
    throw new ConfigInvalidError(`${path}:${pos.line}:${pos.col}: not valid YAML: ${first?.message ?? ""}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const base = isMapping(data) && isMapping(data["security"]) ? ["security", "policy"] : ["policy"];
  const section = base.reduce<unknown>((v, k) => (isMapping(v) ? v[k] : undefined), data);
  if (section === undefined) {
    throw new ConfigInvalidError(`${path}: no policy: mapping (or security.policy:) found`, {
      hint: "See the Security section of the README for the policy keys.",
    });
  }
  const parsed = policySectionSchema.safeParse(section);
  if (!parsed.success) {
    const locate = createLocator(doc, lineCounter);
    const lines = parsed.error.issues.map((i) => {
      const where = [...base, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
      const pos = locate(where, "value");
      return `${path}:${pos.line}:${pos.col}: ${where.join(".")}: ${i.message}`;
    });
    throw new ConfigInvalidError(`invalid policy file:\n  ${lines.join("\n  ")}`);
  }
  return policyFromInput(parsed.data);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
