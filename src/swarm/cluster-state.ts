/**
 * What an agent on a Swarm needs to carry on, kept in the Swarm itself so that the agent started on
 * another manager finds it: the last good commit, the failed commits, and a rollout in progress
 * (the state directory of one manager dies with it). One object holds it: a service of no replicas,
 * `gitdock-state-<agent id>`, whose labels are the state (JSON) and the lease. Swarm updates a
 * service only at the version it was read at, so writing the labels is a compare-and-swap: two
 * agents can never both take the lease, and a write never loses another's.
 *
 * The lease says which agent process may change the Swarm now, until when; the holder renews it
 * while its pass runs, and a holder killed mid-rollout lets it run out (LEASE_MS), after which the
 * next agent takes it and finds the rollout it left.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type Docker from "dockerode";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { LABEL } from "../labels.js";
import type { CommitMark, RolloutMarker } from "../state/index.js";

export interface ClusterState {
  lastGood: { commit: string; at: string } | undefined;
  goodHistory: string[];
  failed: Record<string, CommitMark>;
  /** Set while a rollout changes the Swarm; its holder, to tell an interrupted one. */
  rollout: (RolloutMarker & { holder: string }) | undefined;
  /**
   * The key of the services' hashes and of the digests in secret names (base64), the same for the
   * agent on every manager: with a key of each manager's own, an agent that moved would see every
   * service as changed. It is as readable as the labels: whoever can read them can read the
   * services' specs, and mount their secrets, through the same API.
   */
  hashKey?: string;
  /** When it was last written (ISO). */
  updatedAt: string;
}

/** Taken, with the state as the Swarm held it when the lease was written (one read serves the pass's start); or held by another. */
export type LeaseVerdict = { ok: true; state: ClusterState | undefined } | { ok: false; holder: string; until: number };

/** How long a lease lasts without renewal, and how often its holder renews it. */
export const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
const CAS_TRIES = 8;

/** This process, as a lease holder: its host, pid and a random part (namespaced managers share a hostname). */
export const THIS_AGENT_PROCESS = `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;

export function stateServiceName(agentId: string): string {
  return `gitdock-state-${agentId}`;
}

export class ClusterStateStore {
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly agentId: string,
    private readonly holder: string = THIS_AGENT_PROCESS,
  ) {}

  /** The state as the Swarm holds it; undefined before any agent wrote one. */
  async read(): Promise<ClusterState | undefined> {
    const seen = await this.inspect();
    return seen && parseState(seen.labels[LABEL.swarmState]);
  }

  /** Takes the lease when it is free, expired or already ours, and keeps it renewed until `release`. */
  async acquire(now = Date.now): Promise<LeaseVerdict> {
    let verdict: LeaseVerdict = { ok: true, state: undefined };
    await this.swap((labels) => {
      const lease = parseLease(labels[LABEL.swarmLease]);
      if (lease && lease.holder !== this.holder && lease.until > now()) {
        verdict = { ok: false, ...lease };
        return undefined;
      }
      verdict = { ok: true, state: parseState(labels[LABEL.swarmState]) };
      return { ...labels, [LABEL.swarmLease]: `${this.holder} ${now() + LEASE_MS}` };
    });
    if (verdict.ok && !this.renewal) {
      this.renewal = setInterval(() => void this.renew(), RENEW_MS);
      this.renewal.unref();
    }
    return verdict;
  }

  /**
   * Ends a pass in one write: the state changed by `change` (when it changes) and the lease given up,
   * so the next agent need not wait for it to run out. The state is written even when the lease ran
   * out meanwhile: this agent's outcome is the newest news of what it did to the Swarm.
   */
  async release(change: (s: ClusterState) => ClusterState): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    await this.swap((labels) => {
      const state = changedState(labels, change);
      const ours = parseLease(labels[LABEL.swarmLease])?.holder === this.holder;
      if (state === undefined && !ours) return undefined;
      return { ...labels, ...(state === undefined ? {} : { [LABEL.swarmState]: state }), ...(ours ? { [LABEL.swarmLease]: "" } : {}) };
    });
  }

  /** Changes the state (nothing is written when `change` changes nothing); only the lease holder calls it. */
  async write(change: (s: ClusterState) => ClusterState): Promise<void> {
    await this.swap((labels) => {
      const state = changedState(labels, change);
      return state === undefined ? undefined : { ...labels, [LABEL.swarmState]: state };
    });
  }

  /** The Swarm's hash key, read without the lease (a plan, a status): undefined before an agent made one. */
  async hashKey(): Promise<Buffer | undefined> {
    const known = (await this.read())?.hashKey;
    return known ? Buffer.from(known, "base64") : undefined;
  }

  /** The hash key in `state` (read with the lease), made and written by the first agent that needs it. */
  async ensureHashKey(state: ClusterState | undefined): Promise<Buffer> {
    if (state?.hashKey) return Buffer.from(state.hashKey, "base64");
    const made = randomBytes(32).toString("base64");
    let kept = made;
    await this.write((s) => {
      kept = s.hashKey ?? made;
      return { ...s, hashKey: kept };
    });
    return Buffer.from(kept, "base64");
  }

  private async renew(): Promise<void> {
    try {
      await this.swap((labels) =>
        parseLease(labels[LABEL.swarmLease])?.holder === this.holder ? { ...labels, [LABEL.swarmLease]: `${this.holder} ${Date.now() + LEASE_MS}` } : undefined,
      );
    } catch {
      // The next renewal tries again; a lease that runs out lets another agent in, which is the point.
    }
  }

  /** Read, change, write at the version read; read again when another write came first. `change` returning undefined writes nothing. */
  private async swap(change: (labels: Record<string, string>) => Record<string, string> | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const seen = (await this.inspect()) ?? (await this.create());
      const labels = change(seen.labels);
      if (!labels) return;
      try {
        const spec = { ...seen.spec, Labels: labels };
        await this.docker.getService(seen.id).update({ _query: { version: seen.version }, _body: spec });
        return;
      } catch (err) {
        if (attempt >= CAS_TRIES || !/out of sequence/.test(String((err as Error).message))) throw engineError(err, "writing gitdock's state in the Swarm");
      }
    }
  }

  private async inspect(): Promise<{ id: string; version: number; spec: Record<string, unknown>; labels: Record<string, string> } | undefined> {
    try {
      const s = (await this.docker.getService(stateServiceName(this.agentId)).inspect()) as Docker.Service;
      const spec = s.Spec as unknown as Record<string, unknown> & { Labels?: Record<string, string> };
      return { id: s.ID, version: s.Version?.Index ?? 0, spec, labels: spec.Labels ?? {} };
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw engineError(err, "reading gitdock's state in the Swarm");
    }
  }

  /** The state object, made on first use; another agent making it at the same moment is fine (409: read theirs). */
  private async create(): Promise<{ id: string; version: number; spec: Record<string, unknown>; labels: Record<string, string> }> {
    const spec = {
      Name: stateServiceName(this.agentId),
      // Not gitdock.managed: no stack's plan sees it.
      Labels: { [LABEL.agent]: this.agentId, [LABEL.swarmState]: "", [LABEL.swarmLease]: "" },
      // No replicas: the image is never pulled; it only names what the object is.
      TaskTemplate: { ContainerSpec: { Image: "gitdock-state:none" } },
      Mode: { Replicated: { Replicas: 0 } },
    };
    try {
      await this.docker.createService(spec as unknown as Docker.CreateServiceOptions);
    } catch (err) {
      if (engineStatus(err) !== 409) throw engineError(err, "creating gitdock's state object in the Swarm");
    }
    const made = await this.inspect();
    if (!made) throw new Error(`gitdock's state object ${stateServiceName(this.agentId)} vanished right after it was made`);
    return made;
  }
}

function emptyState(): ClusterState {
  return { lastGood: undefined, goodHistory: [], failed: {}, rollout: undefined, updatedAt: new Date(0).toISOString() };
}

/** The state label after `change`, or undefined when `change` leaves the state as it is (its time aside). */
function changedState(labels: Record<string, string>, change: (s: ClusterState) => ClusterState): string | undefined {
  const before = parseState(labels[LABEL.swarmState]) ?? emptyState();
  const after = change(before);
  const content = (s: ClusterState) => JSON.stringify({ ...s, updatedAt: undefined });
  if (labels[LABEL.swarmState] && content(after) === content(before)) return undefined;
  return JSON.stringify({ ...after, updatedAt: new Date().toISOString() });
}

function parseState(text: string | undefined): ClusterState | undefined {
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Partial<ClusterState>;
    return { ...emptyState(), ...raw, failed: raw.failed ?? {}, goodHistory: raw.goodHistory ?? [] };
  } catch {
    return undefined;
  }
}

function parseLease(text: string | undefined): { holder: string; until: number } | undefined {
  const [holder, until] = (text ?? "").split(" ");
  return holder && until && Number.isFinite(Number(until)) ? { holder, until: Number(until) } : undefined;
}
