import type { ProblemSink } from "../problems.js";
import type { ValidatedCompose } from "../validate/validate-compose.js";

/** Names that end up in Docker object names (`<project>-<service>-1`, `<project>_<key>`) must be valid there. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RULE = 'can only contain letters, digits, ".", "_" and "-", and must start with a letter or digit';

export function checkNames(compose: ValidatedCompose, problems: ProblemSink): void {
  const groups: [string, string[]][] = [
    ["services", compose.serviceNames],
    ["networks", compose.networkKeys],
    ["volumes", compose.volumeKeys],
  ];
  for (const [section, keys] of groups) {
    for (const key of keys) {
      if (!DOCKER_NAME.test(key)) problems.report([section, key], `"${key}" ${RULE}`, "key");
    }
  }
}
