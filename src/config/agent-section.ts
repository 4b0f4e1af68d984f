import { z } from "zod";

/**
 * Settings of the long-running agent (`gitdock run`): triggers, HTTP endpoints, sync windows.
 * Owned by the agent loop (src/agent/). Parsed values are handed over as `settings.agent`.
 */
export const agentSectionSchema = z.object({}).strict();

export type AgentSection = z.infer<typeof agentSectionSchema>;

export function agentSectionDefaults(raw: AgentSection | undefined): AgentSection {
  return raw ?? {};
}
