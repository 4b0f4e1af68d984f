import type { ManifestProblem } from "../../errors.js";
import { formatPath } from "../../manifest/format-path.js";
import type { PolicySources } from "../check-policy.js";
import type { RequestViolation } from "./engine-request.js";

/** The Compose key that sets an Engine field, to point a violation at the line that asked for it. */
const COMPOSE_KEY: [RegExp, string | string[]][] = [
  // A Swarm service's ContainerSpec, TaskSpec and ServiceSpec.
  [/^TaskTemplate\.ContainerSpec\.Image$/, "image"],
  [/^TaskTemplate\.ContainerSpec\.User$/, "user"],
  [/^TaskTemplate\.ContainerSpec\.CapabilityAdd/, "cap_add"],
  [/^TaskTemplate\.ContainerSpec\.Mounts/, "volumes"],
  [/^TaskTemplate\.ContainerSpec\.Sysctls/, "sysctls"],
  [/^TaskTemplate\.ContainerSpec\.Secrets/, "secrets"],
  [/^TaskTemplate\.ContainerSpec\.Configs/, "configs"],
  [/^TaskTemplate\.ContainerSpec\.Labels/, "labels"],
  [/^TaskTemplate\.ContainerSpec\.Privileges/, "security_opt"],
  [/^TaskTemplate\.ContainerSpec\.Isolation/, "isolation"],
  [/^TaskTemplate\.Networks|^Networks/, "networks"],
  [/^TaskTemplate\.LogDriver/, "logging"],
  [/^TaskTemplate\.Resources/, ["deploy", "resources"]],
  [/^TaskTemplate\.Placement/, ["deploy", "placement"]],
  [/^Mode\./, ["deploy", "mode"]],
  [/^EndpointSpec\.Ports/, "ports"],
  [/^EndpointSpec/, ["deploy", "endpoint_mode"]],
  [/^Labels/, ["deploy", "labels"]],
  [/^Image$/, "image"],
  [/^User$/, "user"],
  [/^HostConfig\.Privileged$/, "privileged"],
  [/^HostConfig\.NetworkMode$/, "network_mode"],
  [/^HostConfig\.PidMode$/, "pid"],
  [/^HostConfig\.IpcMode$/, "ipc"],
  [/^HostConfig\.CapAdd/, "cap_add"],
  [/^HostConfig\.Devices/, "devices"],
  [/^HostConfig\.Mounts/, "volumes"],
  [/^HostConfig\.Binds/, "volumes"],
  [/^HostConfig\.DeviceRequests/, "deploy"],
  [/^HostConfig\.PortBindings/, "ports"],
  [/^HostConfig\.Sysctls/, "sysctls"],
  [/^HostConfig\.SecurityOpt/, "security_opt"],
  [/^HostConfig\.LogConfig/, "logging"],
  [/^HostConfig\.Runtime$/, "runtime"],
  [/(?:^|\.)Links\[/, "external_links"],
  [/^NetworkingConfig|^connect\(/, "networks"],
  [/^IPAM/, "ipam"],
  [/^Driver$/, "driver"],
  [/^DriverOpts/, "driver_opts"],
  [/^Options/, "driver_opts"],
];

/** Request violations as manifest problems: `file:line:col` of the key that asked, else of the service, volume or network. */
export function locateViolations(violations: readonly RequestViolation[], sources: PolicySources | undefined): ManifestProblem[] {
  return violations.map((v) => {
    const key = COMPOSE_KEY.find(([re]) => re.test(v.field))?.[1];
    const keyed = key === undefined ? undefined : [...v.origin.path, ...(typeof key === "string" ? [key] : key)];
    const path = keyed && sources?.valueAt(v.origin.file, keyed) !== undefined ? keyed : v.origin.path;
    const pos: { line: number; col: number; file?: string } = sources?.locate(v.origin.file, path) ?? { line: 1, col: 1 };
    return { file: pos.file ?? v.origin.file, line: pos.line, col: pos.col, path: formatPath(path), message: `${v.message} [Engine request field ${v.field}]` };
  });
}
