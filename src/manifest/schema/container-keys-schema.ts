import { z } from "zod";
import { byteSize, portNumber, scalar, stringList, stringOrList } from "./schema-primitives.js";

/**
 * Per-container settings real stacks use that map one to one onto an Engine field: names, exposed
 * ports, DNS, the terminal, groups, kernel settings, the runtime, the platform and how the image is
 * pulled. What the host policy judges (security_opt, sysctls, runtime) it judges on the request.
 */

/** Docker's own rule for container names. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const containerNameSchema = z
  .string()
  .regex(CONTAINER_NAME, { error: 'expected a container name of letters, digits, "_", "." and "-", starting with a letter or digit' })
  .describe("The container's name instead of <project>-<service>-1. Only for a single replica rolled out stop-first; the service name stays a network alias.");

const EXPOSE_HINT = 'expected a port or range like "8080", "8000-8010" or "53/udp"';

export const exposeSchema = z
  .array(z.union([portNumber, z.string()], { error: EXPOSE_HINT }))
  .describe('Ports the container listens on, made known to the Engine without publishing them: "8080", "8000-8010", "53/udp".');

export const sysctlsSchema = z
  .union([stringList, z.record(z.string(), scalar)], { error: 'expected a mapping or a list of "name=value" strings' })
  .describe("Kernel parameters in the container's namespaces. The host policy lists the allowed ones.");

const PLATFORM = /^[A-Za-z0-9_]+(?:\/[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.]+)?)?$/;

export const platformSchema = z
  .string()
  .regex(PLATFORM, { error: 'expected a platform like "linux/amd64" or "linux/arm64/v8"' })
  .describe("The image's platform (os/arch[/variant]); the image is pulled and run for it.");

/** Compose's values; `build` is refused in normalization with a reason. */
const PULL_POLICY = /^(?:always|never|missing|if_not_present|build|refresh|daily|weekly|every_(?:\d+[wdhms])+)$/;

export const pullPolicySchema = z
  .string()
  .regex(PULL_POLICY, { error: 'expected "always", "never", "missing", "if_not_present", "daily", "weekly" or "every_<duration>"' })
  .describe(
    "missing (default; also if_not_present, and daily, weekly, every_<d>, refresh: a digest's content never changes): pull when the image is not on the host. always: pull again before every create. never: the image must already be on the host.",
  );

const GROUP_HINT = 'expected a group name or number like "audio" or 1001';

export const groupAddSchema = z
  .array(z.union([z.string().min(1), z.int().nonnegative()], { error: GROUP_HINT }))
  .describe("Supplementary groups of the container's process, by name (in the image) or number.");

export const dnsSchema = stringOrList.describe("DNS servers, in the order the resolver tries them.");
export const dnsSearchSchema = stringOrList.describe("DNS search domains, in order.");
export const dnsOptSchema = stringList.describe('Resolver options, e.g. "ndots:2", "use-vc".');

export const linksSchema = stringList.describe(
  '"service" or "service:alias": the other service is also reachable under the alias from this one (a network alias on the networks both join); implies depends_on.',
);

export const externalLinksSchema = stringList.describe(
  '"container" or "container:alias": a container outside the stack, reachable under the alias from this one. The host policy lists the containers (external_links).',
);

const MEMSWAP_HINT = 'expected a size like "1g", or -1 for unlimited swap';

export const memswapLimitSchema = z
  .union([z.literal(-1), byteSize], { error: MEMSWAP_HINT })
  .describe("Memory plus swap the container may use; -1 is unlimited swap. Needs a memory limit.");

const CPUS_HINT = 'expected a number of CPUs like 0.5 or "1.5"';

export const cpusSchema = z
  .union([z.number().positive(), z.string().regex(/^\d*\.?\d+$/, { error: CPUS_HINT })], { error: CPUS_HINT })
  .describe('CPU limit: 0.5 or "1.5".');

export const pidsLimitSchema = z.int().min(-1).describe("Most processes the container may run; -1 (or 0) is unlimited.");
