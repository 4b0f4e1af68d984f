import { z } from "zod";
import { agentSectionSchema } from "./agent-section.js";
import { CONFIG_DEFAULTS } from "./defaults.js";
import { driftSectionSchema } from "./drift-section.js";
import { filesSectionSchema } from "./files-section.js";
import { manifestSectionSchema } from "./manifest-section.js";
import { reportSectionSchema } from "./report-section.js";
import { secretsSectionSchema } from "./secrets-section.js";
import { securitySectionSchema } from "./security-section.js";

const D = CONFIG_DEFAULTS;

/**
 * The agent's configuration file (`--config FILE`), the one schema of all of it: it validates the
 * file (every problem at once, with file:line:col: load-settings.ts), gives the TypeScript types, and
 * is the JSON Schema editors use (schema/agent-config.schema.json). It belongs to the host's root,
 * not to the manifest repository. Some keys can also be given as flags; flags win (apply-flags.ts).
 * Shapes only: no transforms and no defaults here; the defaults are CONFIG_DEFAULTS, filled in by
 * each section's `...Defaults` function.
 */
export const agentConfigSchema = z
  .object({
    repo: z.string().min(1).describe("Manifest repository: an https:// URL or a local path").optional(),
    branch: z.string().min(1).describe(`Branch to follow (default ${D.branch})`).optional(),
    path: z
      .string()
      .refine((p) => !p.split("/").includes(".."), "must stay inside the repository")
      .describe("Directory of the repository this host reads (default: the root)")
      .optional(),
    state_dir: z.string().min(1).describe(`State directory (default ${D.state_dir})`).optional(),
    docker_host: z.string().min(1).describe("Engine address: unix:///path or tcp://host:port (default DOCKER_HOST or the local socket)").optional(),
    host_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .describe("This agent's name in labels, logs and notes (default the hostname)")
      .optional(),
    engine: z
      .enum(["containers", "swarm"])
      .describe(`What the stacks run as: containers on this Engine, or services of the Swarm this Engine is a manager of (default ${D.engine})`)
      .optional(),
    concurrency: z.number().int().min(1).max(64).describe(`Engine calls in flight at once (default ${D.concurrency})`).optional(),
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
    /** Keys for encrypted files of the repository, and the tmpfs for decrypted ones (secrets-section.ts). */
    secrets: secretsSectionSchema.optional(),
    /** Containers changed in place: exec sessions and writable-layer changes (drift-section.ts). */
    drift: driftSectionSchema.optional(),
  })
  .strict()
  .describe("gitdock agent configuration (/etc/gitdock/config.yaml)");

export type AgentConfig = z.infer<typeof agentConfigSchema>;
