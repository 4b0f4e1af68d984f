/**
 * Typed errors with stable codes. Callers match on `code`, never on message text.
 *
 * Each error says how the reconcile loop handles it (`handling`):
 *  - "reject":   the commit itself is bad (invalid manifest, policy, signature). A person must
 *                change Git; the host stays where it is. `sync` exits 4.
 *  - "retry":    something outside is unavailable (Git server, registry, Engine). Nothing was
 *                changed; try again with backoff. `sync` exits 1.
 *  - "rollback": the release was applied and failed its health gate. `sync` exits 3.
 *  - "fatal":    gitdock cannot work as configured (bad flags or config). `sync` exits 1.
 * The CLI is the one place that maps these to exit codes (src/cli/exit-codes.ts).
 */
import type { UntrustedText } from "./untrusted/index.js";

export type ErrorHandling = "reject" | "retry" | "rollback" | "fatal";

export interface ManifestProblem {
  /** Path of the file relative to the repository root (or as given to `validate`). */
  file: string;
  line: number;
  col: number;
  /** Dotted path inside the document, e.g. `services.web.ports[0]`. Empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: ManifestProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export abstract class GitdockError extends Error {
  abstract readonly code: string;
  abstract readonly handling: ErrorHandling;
  /** What the operator should do about it. */
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;
  /**
   * What a container (or the Engine about it) said: untrusted, so never part of the message, hint
   * or data, which become reasons in state.json, the journal, git notes and markers. Only the local
   * log shows it, redacted (src/untrusted).
   */
  readonly excerpt: UntrustedText | undefined;

  constructor(message: string, opts: { hint?: string; data?: Record<string, unknown>; cause?: unknown; excerpt?: UntrustedText } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.data = opts.data ?? {};
    this.excerpt = opts.excerpt;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, hint: this.hint, data: this.data };
  }
}

/** One or more manifest files are invalid. Carries every problem found, not only the first. */
export class ManifestInvalidError extends GitdockError {
  readonly code = "GITDOCK_E_MANIFEST_INVALID";
  readonly handling = "reject";
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[]) {
    const lines = problems.map(formatProblem);
    super(`${problems.length} problem(s) in the manifest:\n${lines.join("\n")}`, {
      hint: "Fix the listed files in Git; the host keeps running its current commit.",
      data: { problems },
    });
    this.problems = problems;
  }
}

/**
 * The commit breaks the host's policy (security.policy in the agent's config). Carries every
 * violation with its file:line:col, like ManifestInvalidError, so one run lists them all.
 */
export class PolicyViolationError extends GitdockError {
  readonly code = "GITDOCK_E_POLICY_VIOLATION";
  readonly handling = "reject";
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[]) {
    super(`${problems.length} host policy violation(s):\n${problems.map(formatProblem).join("\n")}`, {
      hint: "Change the commit, or (as the host's root) widen security.policy in the agent's config and run `gitdock retry`.",
      data: { problems },
    });
    this.problems = problems;
  }
}

/**
 * The commit's signature is not acceptable in `security.verify.mode: enforce`: missing,
 * malformed, untrusted, tampered or of a format this host does not verify (`data.status`).
 */
export class SignatureRejectedError extends GitdockError {
  readonly code = "GITDOCK_E_SIGNATURE_REJECTED";
  readonly handling = "reject";
  readonly status: string;
  constructor(commit: string, status: string, reason: string) {
    super(`signature ${status}: ${reason}`, {
      hint: "Sign the commit with a key listed in security.verify.allowed_signers or openpgp_keyring; the host keeps its current commit.",
      data: { commit, status },
    });
    this.status = status;
  }
}

/**
 * An image the host policy requires to be signed (security.policy.image_signatures) has no
 * acceptable signature: none found, by a key or identity the policy does not list, changed after
 * signing, or over another digest. Carries every such image with its file:line:col, like a policy
 * violation; nothing was pulled or changed.
 */
export class ImageSignatureRejectedError extends GitdockError {
  readonly code = "GITDOCK_E_IMAGE_SIGNATURE_REJECTED";
  readonly handling = "reject";
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[]) {
    super(`${problems.length} image(s) without an acceptable signature:\n${problems.map(formatProblem).join("\n")}`, {
      hint: "Sign each image by its digest in CI (`cosign sign --key cosign.key <image>@<digest>`) with a key the host policy lists, or (as the host's root) list the signer in security.policy.image_signatures and run `gitdock retry`.",
      data: { problems },
    });
    this.problems = problems;
  }
}

/**
 * A bind source that the policy allowed as written leads somewhere else on the host (a symlink
 * below an allowed root): found right before the Engine would have mounted it. Nothing is mounted;
 * a rollout under way is rolled back.
 */
export class BindSourceRefusedError extends GitdockError {
  readonly code = "GITDOCK_E_BIND_SOURCE_REFUSED";
  readonly handling = "reject";
}

/**
 * With `security.verify.mode: enforce`, a target commit must descend from the last good commit:
 * signed history only moves forward. `data.proof` says why it is refused: `not-descendant` (the
 * whole history of the target is known, and the last good commit is not in it: the branch was
 * rewound or replaced) or `unproven` (the last good commit was not found within `data.limit`
 * commits of the target's history).
 */
export class HistoryRewoundError extends GitdockError {
  readonly code = "GITDOCK_E_HISTORY_REWOUND";
  readonly handling = "reject";
  constructor(opts: { commit: string; lastGood: string; proof: "not-descendant" | "unproven"; limit: number }) {
    const [commit, lastGood] = [opts.commit.slice(0, 12), opts.lastGood.slice(0, 12)];
    const message =
      opts.proof === "not-descendant"
        ? `commit ${commit} is not a descendant of the last good commit ${lastGood}: the branch was rewound or replaced; with verify.mode enforce gitdock only moves forward in signed history`
        : `commit ${commit} could not be proven a descendant of the last good commit ${lastGood} within ${opts.limit} commits of its history; with verify.mode enforce gitdock only moves forward in signed history`;
    super(message, {
      hint: `If this rewind is intended, run \`gitdock retry --allow-rewind ${opts.commit}\` to apply this commit once, or set security.verify.allow_rewind: true on a host that must follow force-pushes; the host keeps its current commit.`,
      data: { commit: opts.commit, lastGood: opts.lastGood, proof: opts.proof, limit: opts.limit },
    });
  }
}

/**
 * The last good commit no longer passes what a target must pass now (its signature under the
 * current verification settings and trust files, its manifest, the host policy, or any later
 * stage that judges it): gitdock stops changing the host and waits for a new commit that passes.
 * Any stage may throw it; reconcile turns it into the "halted" outcome (`sync` exits 4).
 * `stage` names the check that failed (signature, manifest, policy, ...); `target` is the branch
 * head of the pass.
 */
export class LastGoodRejectedError extends GitdockError {
  readonly code = "GITDOCK_E_LAST_GOOD_REJECTED";
  readonly handling = "reject";
  readonly commit: string;
  readonly target: string;
  readonly stage: string;
  /** Why, in one line (the failed check's own words). */
  readonly reason: string;
  constructor(opts: { commit: string; target: string; stage: string; reason: string; cause?: unknown }) {
    super(
      `the last good commit ${opts.commit.slice(0, 12)} no longer passes the ${opts.stage} check: ${opts.reason}; gitdock changes nothing on this host until a new commit passes`,
      {
        hint: "Push a commit that passes the current policy and trust files, or (as the host's root) undo what was tightened; gitdock resumes by itself on the next pass.",
        data: { commit: opts.commit, target: opts.target, stage: opts.stage },
        cause: opts.cause,
      },
    );
    this.commit = opts.commit;
    this.target = opts.target;
    this.stage = opts.stage;
    this.reason = opts.reason;
  }
}

/** The Git source could not be reached or read. */
export class SourceUnavailableError extends GitdockError {
  readonly code = "GITDOCK_E_SOURCE_UNAVAILABLE";
  readonly handling = "retry";
}

/** The Git source rejected our credentials, or the branch does not exist. */
export class SourceConfigError extends GitdockError {
  readonly code = "GITDOCK_E_SOURCE_CONFIG";
  readonly handling = "fatal";
}

/** The Docker Engine could not be reached. */
export class EngineUnavailableError extends GitdockError {
  readonly code = "GITDOCK_E_ENGINE_UNAVAILABLE";
  readonly handling = "retry";
}

/**
 * The Engine failed or went away in the middle of a rollout (dockerd restarted, its event stream
 * ended, a server error, a step of gitdock's own refused): not the release's fault, so the commit
 * is not marked failed. The rollout is undone from its marker once the Engine answers again, and
 * the commit is tried again (a bounded number of times in one sync; the agent keeps retrying).
 */
export class EngineDisruptedError extends GitdockError {
  readonly code = "GITDOCK_E_ENGINE_DISRUPTED";
  readonly handling = "retry";
  constructor(commit: string, reason: string) {
    super(`the rollout of ${commit.slice(0, 12)} was interrupted: ${reason}`, {
      hint: "Not held against the commit: gitdock undoes the rollout once the Engine answers and tries the commit again. If the Engine keeps failing, look at dockerd (journalctl -u docker).",
      data: { commit },
    });
  }
}

/**
 * On a Swarm, a rollout's gate timed out only because nodes were not ready: the tasks the services
 * lacked were ones Swarm could not place, or ones on those nodes. The services were put back at the
 * last good spec, and the commit is not marked failed: it is tried again on the next pass.
 */
export class SwarmNodesNotReadyError extends GitdockError {
  readonly code = "GITDOCK_E_SWARM_NODES_NOT_READY";
  readonly handling = "retry";
  constructor(commit: string, reason: string) {
    super(`the rollout of ${commit.slice(0, 12)} waited for Swarm nodes that are not ready: ${reason}`, {
      hint: "Not held against the commit: its services were put back at the last good spec, and the next pass tries it again. Bring the nodes back (docker node ls), or drain or remove the ones that are gone.",
      data: { commit },
    });
  }
}

/** An image could not be pulled. Raised before any container was touched. */
export class PullFailedError extends GitdockError {
  readonly code = "GITDOCK_E_PULL_FAILED";
  readonly handling = "retry";
}

/**
 * A registry gave no digest for an image's tag (`gitdock pin`): it could not be reached, it refused
 * the credentials, or it does not have the tag. The message carries the registry's answer (HTTP
 * status and error code); `data` holds registry, repository, tag, status and code. Never
 * credentials or tokens.
 */
export class RegistryLookupError extends GitdockError {
  readonly code = "GITDOCK_E_REGISTRY_LOOKUP";
  readonly handling = "retry";
}

/**
 * `gitdock pin` could not pin every reference it was asked to (a registry lookup failed, a file is
 * not YAML, an image is not a valid reference): nothing was written. Carries every problem with its
 * file:line:col.
 */
export class PinFailedError extends GitdockError {
  readonly code = "GITDOCK_E_PIN_FAILED";
  readonly handling = "retry";
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[]) {
    super(`could not pin ${problems.length} image reference(s) or file(s); no file was changed:\n${problems.map(formatProblem).join("\n")}`, {
      hint: "Fix what each line says (a tag the registry does not have, credentials in Docker's config.json or registry_auth:, a registry that cannot be reached) and run gitdock pin again.",
      data: { problems },
    });
    this.problems = problems;
  }
}

/** A host-side input the manifest names (an env_file) is missing or unreadable. */
export class HostInputError extends GitdockError {
  readonly code = "GITDOCK_E_HOST_INPUT";
  readonly handling = "retry";
}

/**
 * An identity file named by the agent config's `secrets:` section cannot be used: missing, not a
 * regular file, readable by someone other than root, or not a key. The host's to fix; nothing changes meanwhile.
 */
export class IdentityFileError extends GitdockError {
  readonly code = "GITDOCK_E_IDENTITY_FILE";
  readonly handling = "retry";
}

/** gitdock's store of repository files (`<state_dir>/files`) could not be written or cleaned. */
export class FileStoreError extends GitdockError {
  readonly code = "GITDOCK_E_FILE_STORE";
  readonly handling = "retry";
}

/**
 * The commit uses variables (`${DB_PASSWORD}`) that neither its `.env` nor the host's variables
 * file sets, and nothing else is wrong with it: the host must set them, so the commit is not
 * marked rejected; the pass fails and is retried, and succeeds once the file has them. Carries
 * every such use with its file:line:col, and the file to set them in (never a value).
 */
export class HostVariableMissingError extends GitdockError {
  readonly code = "GITDOCK_E_HOST_VARIABLE_MISSING";
  readonly handling = "retry";
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[]) {
    super(`${problems.length} variable(s) the host must set:\n${problems.map(formatProblem).join("\n")}`, {
      hint: "Set them in the host variables file each line names (mode 0600, owned by root); gitdock tries again by itself.",
      data: { problems },
    });
    this.problems = problems;
  }
}

/** An Engine call failed while changing the host. */
export class ApplyFailedError extends GitdockError {
  readonly code = "GITDOCK_E_APPLY_FAILED";
  readonly handling = "retry";
}

/** A new release failed its health gate. */
export class HealthGateFailedError extends GitdockError {
  readonly code = "GITDOCK_E_HEALTH_FAILED";
  readonly handling = "rollback";
}

/**
 * After a failed release was undone, the host could not be brought all the way back to the last
 * good commit: a container could not be recreated, or a restored one failed its gate. The failed
 * commit stays blocked and the next pass tries again; a person should look. `sync` exits 6.
 */
export class RollbackIncompleteError extends GitdockError {
  readonly code = "GITDOCK_E_ROLLBACK_INCOMPLETE";
  readonly handling = "retry";
  constructor(commit: string, problems: string[], cause?: unknown) {
    super(`ROLLBACK INCOMPLETE: the host is not fully back at the last good commit ${commit.slice(0, 12)}: ${problems.join("; ")}`, {
      hint: "gitdock tries again on every pass. Look at the containers named (docker ps -a, docker logs); `gitdock status` shows each service's state.",
      data: { commit, problems },
      cause,
    });
  }
}

/**
 * A rollout that a crash cut short could not be undone at the start of a pass: the host is between
 * two commits. Nothing else is done until it is; the next pass tries again. `sync` exits 7.
 */
export class RecoveryFailedError extends GitdockError {
  readonly code = "GITDOCK_E_RECOVERY_FAILED";
  readonly handling = "retry";
  constructor(commit: string, problems: string[]) {
    super(`recovery of the interrupted rollout of ${commit.slice(0, 12)} failed: ${problems.join("; ")}`, {
      hint: "gitdock tries again on every pass. Look at the <name>.gitdock-prev containers and the containers named (docker ps -a).",
      data: { commit, problems },
    });
  }
}

/** The agent's own configuration or command-line flags are invalid. */
export class ConfigInvalidError extends GitdockError {
  readonly code = "GITDOCK_E_CONFIG_INVALID";
  readonly handling = "fatal";
}

/** The state directory cannot be read or written. */
export class StateError extends GitdockError {
  readonly code = "GITDOCK_E_STATE";
  readonly handling = "fatal";
}

/**
 * The running agent's control token (`<state_dir>/agent.token`) cannot be read, so `gitdock sync
 * --now` and `gitdock status` cannot authenticate to it. `data.file` names the file.
 */
export class AgentTokenError extends GitdockError {
  readonly code = "GITDOCK_E_AGENT_TOKEN";
  readonly handling = "fatal";
}

/** Render any thrown value as one human line plus an optional hint. */
export function describeError(err: unknown): string {
  if (err instanceof GitdockError) {
    return err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
