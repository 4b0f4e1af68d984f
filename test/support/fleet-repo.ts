/**
 * A fleet's repository for the fleet view's tests, made with the `git` CLI in a temp dir: a
 * `fleet.yaml` naming hosts with keys made by `generateEd25519`, commits with chosen committer
 * times, and outcome lines in `refs/notes/gitdock` signed as each host's agent signs them
 * (or forged: another key, no signature).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { generateEd25519, publicKeyLine, type Ed25519KeyPair } from "../../src/fleet/openssh-private-key.js";
import { signOutcomeLine } from "../../src/fleet/outcome-signature.js";

const execFileP = promisify(execFile);
export const NOTES_REF = "refs/notes/gitdock";

export interface WaveSpec {
  name: string;
  hosts: string[];
  soak?: string;
  report_timeout?: string;
  max_unreachable?: number;
  max_failures?: number;
  on_failure?: "hold" | "rollback";
}

export interface Outcome {
  host: string;
  verb: "applied" | "rolled-back" | "rejected" | "paused" | "withdrawn";
  at: Date;
  detail: string;
  /** Sign with this key instead of the host's own; null: no signature at all. */
  key?: Ed25519KeyPair | null;
}

export class FleetRepo {
  readonly keys = new Map<string, Ed25519KeyPair>();
  private readonly notes = new Map<string, string[]>();

  private constructor(readonly dir: string) {}

  /** A repository whose first commit holds `fleet.yaml` (hosts with fresh keys, the waves) and a stack. */
  static async create(
    prefix: string,
    hosts: string[],
    waves: WaveSpec[],
    opts: { at?: Date; author?: string } = {},
  ): Promise<{ repo: FleetRepo; first: string }> {
    const repo = new FleetRepo(await mkdtemp(path.join(os.tmpdir(), prefix)));
    await repo.git(["init", "--quiet", "--initial-branch=main"]);
    for (const h of hosts) repo.keys.set(h, generateEd25519(`gitdock@${h}`));
    await repo.write("fleet.yaml", repo.fleetYaml(waves));
    await repo.write("shop/compose.yaml", stack("v1"));
    const first = await repo.commit("Add the fleet and the shop", { at: opts.at ?? new Date(), author: opts.author });
    return { repo, first };
  }

  fleetYaml(waves: WaveSpec[]): string {
    const hosts = [...this.keys].map(([h, k]) => `  ${h}:\n    key: ${publicKeyLine(k)}\n`).join("");
    const w = waves
      .map((x) => {
        const extra = Object.entries(x)
          .filter(([k]) => k !== "name" && k !== "hosts")
          .map(([k, v]) => `    ${k}: ${String(v)}\n`)
          .join("");
        return `  - name: ${x.name}\n    hosts: [${x.hosts.join(", ")}]\n${extra}`;
      })
      .join("");
    return `hosts:\n${hosts}waves:\n${w}`;
  }

  async write(rel: string, content: string): Promise<void> {
    const file = path.join(this.dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  /** Commits everything with the given committer time; returns the SHA. */
  async commit(subject: string, opts: { at?: Date; author?: string; image?: string; signWithSshKey?: string } = {}): Promise<string> {
    if (opts.image) await this.write("shop/compose.yaml", stack(opts.image));
    const when = `${Math.floor((opts.at ?? new Date()).getTime() / 1000)} +0000`;
    const [name, email] = (opts.author ?? "Ada Lovelace <ada@example.invalid>").match(/^(.*) <(.*)>$/)!.slice(1);
    const env = {
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_DATE: when,
      GIT_AUTHOR_NAME: name!,
      GIT_AUTHOR_EMAIL: email!,
      GIT_COMMITTER_NAME: name!,
      GIT_COMMITTER_EMAIL: email!,
    };
    await this.git(["add", "-A"]);
    const sign = opts.signWithSshKey
      ? ["-c", "gpg.format=ssh", "-c", `user.signingkey=${opts.signWithSshKey}`, "commit", "-S"]
      : ["-c", "commit.gpgsign=false", "commit"];
    await this.git([...sign, "--quiet", "--allow-empty", "-m", subject], env);
    return (await this.git(["rev-parse", "HEAD"])).trim();
  }

  /** Adds outcome lines to commits' notes (signed by the host's key unless told otherwise) and rewrites the notes ref. */
  async report(commit: string, ...outcomes: Outcome[]): Promise<void> {
    const lines = this.notes.get(commit) ?? [];
    for (const o of outcomes) {
      const line = `${o.host} ${o.verb} ${o.at.toISOString().slice(0, 19)}Z ${o.detail}`;
      const key = o.key === undefined ? this.keys.get(o.host) : o.key;
      lines.push(key ? signOutcomeLine(key, commit, line) : line);
    }
    this.notes.set(commit, lines);
    const file = path.join(this.dir, ".git", "gdt-note");
    await writeFile(file, `${lines.join("\n")}\n`);
    await this.git(["notes", `--ref=${NOTES_REF}`, "add", "-f", "-F", file, commit]);
  }

  async git(args: string[], env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await execFileP("git", args, {
      cwd: this.dir,
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: "gdt",
        GIT_AUTHOR_EMAIL: "gdt@example.invalid",
        GIT_COMMITTER_NAME: "gdt",
        GIT_COMMITTER_EMAIL: "gdt@example.invalid",
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A one-service stack whose image is `tag`, pinned by a made-up digest (the manifest stage insists on one; nothing pulls it). */
function stack(tag: string): string {
  return `services:\n  web:\n    image: 127.0.0.1:5000/gdt/shop:${tag}@sha256:${createHash("sha256").update(tag).digest("hex")}\n`;
}

export const minutesAgo = (m: number, now = Date.now()): Date => new Date(now - m * 60_000);
