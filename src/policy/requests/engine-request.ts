/**
 * The requests apply sends to the Engine that create something, as plain JSON bodies: what the
 * host policy judges (judge-requests.ts). Bodies are `unknown`-valued on purpose: the judge must
 * see every field that is there, including ones no TypeScript type of gitdock's names.
 */
export type JsonObject = Record<string, unknown>;

/** Where a request comes from in the manifest, so a violation can point at its file:line:col. */
export interface RequestOrigin {
  /** The stack's Compose file, relative to the repository root. */
  file: string;
  project: string;
  /** `["services", name]`, `["volumes", key]`, `["networks", key]`, `["secrets", key]` or `["configs", key]`. */
  path: (string | number)[];
}

export type EngineRequest =
  /** POST /containers/create: `name` (the query) plus Config, HostConfig and NetworkingConfig. */
  | { kind: "container-create"; body: JsonObject; origin: RequestOrigin }
  /** POST /networks/{name}/connect, for networks beyond the first (API 1.41 takes one at create). */
  | { kind: "network-connect"; network: string; container: string; body: JsonObject; origin: RequestOrigin }
  /** POST /volumes/create. */
  | { kind: "volume-create"; body: JsonObject; origin: RequestOrigin }
  /** POST /networks/create (under Swarm, a stack's networks are `overlay` ones). */
  | { kind: "network-create"; body: JsonObject; origin: RequestOrigin }
  /**
   * POST /services/create, and POST /services/{id}/update, which takes the same body: a Swarm
   * ServiceSpec (Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, EndpointSpec).
   * One judgement covers both.
   */
  | { kind: "service-create"; body: JsonObject; origin: RequestOrigin }
  /** POST /secrets/create: a SecretSpec. `Data` is the secret itself: judged free, never quoted in a message. */
  | { kind: "secret-create"; body: JsonObject; origin: RequestOrigin }
  /** POST /configs/create: a ConfigSpec. `Data` is the content, as for secrets. */
  | { kind: "config-create"; body: JsonObject; origin: RequestOrigin };

export interface RequestViolation {
  origin: RequestOrigin;
  /** The request field, dotted: `HostConfig.Mounts[0].Source`. */
  field: string;
  message: string;
}
