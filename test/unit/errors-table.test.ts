/**
 * Every error class, in one table: its name, stable code, how the loop handles it, that it tells
 * the operator what to do, and the exit code the CLI gives it. A new class must be added here.
 */
import { describe, expect, it } from "vitest";
import { RolloutFailedError } from "../../src/apply/apply-plan.js";
import { RolloutLog } from "../../src/apply/rollout-log.js";
import { exitCodeForError } from "../../src/cli/exit-codes.js";
import * as errors from "../../src/errors.js";

const problem = { file: "hosts/h1/app/compose.yaml", line: 3, col: 5, path: "services.web.image", message: "not pinned by digest" };

/** One instance of each class, made the way gitdock makes it. */
const INSTANCES: Record<string, errors.GitdockError> = {
  ManifestInvalidError: new errors.ManifestInvalidError([problem]),
  PolicyViolationError: new errors.PolicyViolationError([problem]),
  SignatureRejectedError: new errors.SignatureRejectedError("a".repeat(40), "missing", "the commit is not signed"),
  ImageSignatureRejectedError: new errors.ImageSignatureRejectedError([
    { ...problem, message: "127.0.0.1:5000/acme/web@sha256:…: not signed: no signature found (scope *)" },
  ]),
  BindSourceRefusedError: new errors.BindSourceRefusedError("creating x: bind source refused", { hint: "Remove the symlink." }),
  HistoryRewoundError: new errors.HistoryRewoundError({ commit: "a".repeat(40), lastGood: "b".repeat(40), proof: "not-descendant", limit: 1000 }),
  LastGoodRejectedError: new errors.LastGoodRejectedError({ commit: "b".repeat(40), target: "a".repeat(40), stage: "policy", reason: "x" }),
  SourceUnavailableError: new errors.SourceUnavailableError("git server down", { hint: "Retried with backoff." }),
  SourceConfigError: new errors.SourceConfigError("no such branch", { hint: "Check --branch." }),
  EngineUnavailableError: new errors.EngineUnavailableError("no engine", { hint: "Start dockerd." }),
  PullFailedError: new errors.PullFailedError("pull failed", { hint: "Check the registry." }),
  EngineDisruptedError: new errors.EngineDisruptedError("a".repeat(40), "the Engine's event stream ended"),
  SwarmNodesNotReadyError: new errors.SwarmNodesNotReadyError(
    "a".repeat(40),
    "shop_web: did not converge within 60s: 0/1 tasks of the new spec running (1 node(s) not ready)",
  ),
  HostInputError: new errors.HostInputError("env_file missing", { hint: "Create it." }),
  FileStoreError: new errors.FileStoreError("cannot write /var/lib/gitdock/files/sha256/x", { hint: "Check the disk." }),
  ApplyFailedError: new errors.ApplyFailedError("create failed", { hint: "See the log." }),
  HealthGateFailedError: new errors.HealthGateFailedError("health gate failed", { hint: "Fix the release." }),
  RollbackIncompleteError: new errors.RollbackIncompleteError("b".repeat(40), ["shop-web-1: unhealthy"]),
  RecoveryFailedError: new errors.RecoveryFailedError("a".repeat(40), ["shop-web-1: rename failed"]),
  ConfigInvalidError: new errors.ConfigInvalidError("bad config", { hint: "See examples/agent/config.yaml." }),
  StateError: new errors.StateError("state.json is corrupt", { hint: "Restore it." }),
  AgentTokenError: new errors.AgentTokenError("cannot read the token", { hint: "Run as root." }),
  RegistryLookupError: new errors.RegistryLookupError("HTTP 404 MANIFEST_UNKNOWN", { hint: "Check the tag." }),
  PinFailedError: new errors.PinFailedError([problem]),
  HostVariableMissingError: new errors.HostVariableMissingError([problem]),
  IdentityFileError: new errors.IdentityFileError("secrets identity /etc/gitdock/age.key must be readable by root only", { hint: "chmod 0400 it." }),
};

const TABLE: [name: string, code: string, handling: errors.ErrorHandling, exit: number][] = [
  ["ManifestInvalidError", "GITDOCK_E_MANIFEST_INVALID", "reject", 4],
  ["PolicyViolationError", "GITDOCK_E_POLICY_VIOLATION", "reject", 4],
  ["SignatureRejectedError", "GITDOCK_E_SIGNATURE_REJECTED", "reject", 4],
  ["ImageSignatureRejectedError", "GITDOCK_E_IMAGE_SIGNATURE_REJECTED", "reject", 4],
  ["BindSourceRefusedError", "GITDOCK_E_BIND_SOURCE_REFUSED", "reject", 4],
  ["HistoryRewoundError", "GITDOCK_E_HISTORY_REWOUND", "reject", 4],
  ["LastGoodRejectedError", "GITDOCK_E_LAST_GOOD_REJECTED", "reject", 4],
  ["SourceUnavailableError", "GITDOCK_E_SOURCE_UNAVAILABLE", "retry", 1],
  ["SourceConfigError", "GITDOCK_E_SOURCE_CONFIG", "fatal", 1],
  ["EngineUnavailableError", "GITDOCK_E_ENGINE_UNAVAILABLE", "retry", 1],
  ["PullFailedError", "GITDOCK_E_PULL_FAILED", "retry", 1],
  ["EngineDisruptedError", "GITDOCK_E_ENGINE_DISRUPTED", "retry", 1],
  ["SwarmNodesNotReadyError", "GITDOCK_E_SWARM_NODES_NOT_READY", "retry", 1],
  ["HostInputError", "GITDOCK_E_HOST_INPUT", "retry", 1],
  ["FileStoreError", "GITDOCK_E_FILE_STORE", "retry", 1],
  ["ApplyFailedError", "GITDOCK_E_APPLY_FAILED", "retry", 1],
  ["HealthGateFailedError", "GITDOCK_E_HEALTH_FAILED", "rollback", 3],
  ["RollbackIncompleteError", "GITDOCK_E_ROLLBACK_INCOMPLETE", "retry", 6],
  ["RecoveryFailedError", "GITDOCK_E_RECOVERY_FAILED", "retry", 7],
  ["ConfigInvalidError", "GITDOCK_E_CONFIG_INVALID", "fatal", 1],
  ["StateError", "GITDOCK_E_STATE", "fatal", 1],
  ["AgentTokenError", "GITDOCK_E_AGENT_TOKEN", "fatal", 1],
  ["RegistryLookupError", "GITDOCK_E_REGISTRY_LOOKUP", "retry", 1],
  ["PinFailedError", "GITDOCK_E_PIN_FAILED", "retry", 1],
  ["HostVariableMissingError", "GITDOCK_E_HOST_VARIABLE_MISSING", "retry", 1],
  ["IdentityFileError", "GITDOCK_E_IDENTITY_FILE", "retry", 1],
];

describe("every error class", () => {
  it("is in the table: every GitdockError subclass src/errors.ts exports", () => {
    const exported = Object.entries(errors)
      .filter(([, v]) => typeof v === "function" && v.prototype instanceof errors.GitdockError)
      .map(([k]) => k)
      .sort();
    expect(exported).toEqual(TABLE.map(([name]) => name).sort());
  });

  it.each(TABLE)("%s: %s, handled as %s, exit %i", (name, code, handling, exit) => {
    const err = INSTANCES[name] as errors.GitdockError;
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.handling).toBe(handling);
    expect(err.hint, "says what to do").toMatch(/\w/);
    expect(exitCodeForError(err)).toBe(exit);
    expect(err.toJSON()).toMatchObject({ name, code, message: err.message, hint: err.hint });
  });

  it("codes are unique", () => {
    expect(new Set(TABLE.map(([, code]) => code)).size).toBe(TABLE.length);
  });

  it("a rollout that stopped part way carries its log and handling, and maps to exit 3", () => {
    const err = new RolloutFailedError("health gate failed", new RolloutLog(), INSTANCES["HealthGateFailedError"], false);
    expect([err.code, err.handling, exitCodeForError(err)]).toEqual(["GITDOCK_E_ROLLOUT_FAILED", "rollback", 3]);
  });
});
