/**
 * docs/security.md lists every request field the policy knows with the treatment the code gives
 * it, so the reference users read cannot drift from what runs.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CONTAINER_CONFIG_FIELDS, ENDPOINT_FIELDS, hostConfigFields } from "../../src/policy/requests/container-fields.js";
import { networkCreateFields, volumeCreateFields } from "../../src/policy/requests/resource-fields.js";
import { containerSpecFields, serviceSpecFields, taskSpecFields } from "../../src/policy/requests/service-fields.js";
import { SWARM_MOUNT_FIELDS } from "../../src/policy/requests/swarm-mounts.js";
import { CONFIG_SPEC_FIELDS, SECRET_SPEC_FIELDS } from "../../src/policy/requests/swarm-secrets.js";
import type { FieldTable } from "../../src/policy/requests/walk-fields.js";

const treatment = (rule: unknown) => (typeof rule === "string" ? rule : "judged");

/** field → first word of its treatment, from the table under `heading`. */
async function docTable(heading: string): Promise<Record<string, string>> {
  const text = await readFile(new URL("../../docs/security.md", import.meta.url), "utf8");
  const start = text.indexOf(`### ${heading}`);
  expect(start, `docs/security.md has no "### ${heading}"`).toBeGreaterThanOrEqual(0);
  const section = text.slice(start).split(/\n### |\n## /)[0] ?? "";
  const out: Record<string, string> = {};
  for (const line of section.split("\n").filter((l) => /^\| `/.test(l))) {
    const [fields = "", how = ""] = line.split("|").slice(1, 3);
    const word = how.trim().split(/[\s:(,]/)[0] ?? "";
    for (const f of fields.matchAll(/`([A-Za-z0-9]+)`/g)) out[f[1] as string] = word;
  }
  return out;
}

function codeTable(table: FieldTable<unknown>, overrides: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(Object.entries(table).map(([k, r]) => [k, treatment(r)])), ...overrides };
}

describe("docs/security.md matches the policy's tables", () => {
  it.each([
    ["Container create: the body's top level (ContainerConfig, plus `name`)", codeTable(CONTAINER_CONFIG_FIELDS as FieldTable<unknown>)],
    ["HostConfig (Resources and host settings)", codeTable(hostConfigFields({}) as FieldTable<unknown>)],
    ["Endpoint settings (each network in `NetworkingConfig.EndpointsConfig`, and network connects)", codeTable(ENDPOINT_FIELDS as FieldTable<unknown>)],
    ["Volume create", codeTable(volumeCreateFields({}) as FieldTable<unknown>)],
    ["Network create", codeTable(networkCreateFields({}) as FieldTable<unknown>)],
    ["Service: the ServiceSpec", codeTable(serviceSpecFields({}) as FieldTable<unknown>)],
    ["Service: the TaskTemplate (TaskSpec)", codeTable(taskSpecFields({ hostNetwork: false }) as FieldTable<unknown>)],
    ["Service: the ContainerSpec", codeTable(containerSpecFields({ hostNetwork: false }) as FieldTable<unknown>)],
    ["Service: Mounts (each entry of `ContainerSpec.Mounts`)", codeTable(SWARM_MOUNT_FIELDS as FieldTable<unknown>)],
    ["Secret create", codeTable(SECRET_SPEC_FIELDS as FieldTable<unknown>)],
    ["Config create", codeTable(CONFIG_SPEC_FIELDS as FieldTable<unknown>)],
  ])("%s", async (heading, code) => {
    expect(await docTable(heading)).toEqual(code);
  });
});
