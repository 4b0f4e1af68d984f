/**
 * Where a stack's variables come from, lowest precedence first:
 *  1. the repository: the `.env` next to the stack's files (and, for an included file, the `.env`
 *     or `env_file` of the included project, below the stack's own);
 *  2. the agent's own process environment, only when `manifest.process_environment` is true
 *     (never names starting with GITDOCK_: those are the agent's credentials);
 *  3. the host variables file of the project (`/etc/gitdock/env/<project>.env` by default), read by
 *     the agent on the host. Its values are secrets: they never appear in a message gitdock writes.
 * The host's values win, as a shell's environment wins over `.env` in Compose.
 */

export type VariableSource = "repository" | "process" | "host";

export interface VariableLayer {
  source: VariableSource;
  values: ReadonlyMap<string, string>;
  /** Decrypted from an encrypted variables file: its values are secrets, kept out of messages like the host's. */
  secret?: true;
}

/** What the caller knows about the host's variables (the manifest stage reads no files itself). */
export interface HostVariables {
  /** The file where the host sets a project's variables, named in errors and notes. */
  fileFor(project: string): string;
  /** The project's variables; undefined when they are not known here (`gitdock validate` without `--env-file`). */
  valuesFor(project: string): ReadonlyMap<string, string> | undefined;
}

export class VariableScope {
  private readonly layers: readonly VariableLayer[];

  /**
   * `hostKnown` is false when the host's values are not known (validate): a variable only the host
   * could set is then a note, not an error. `hostFile` is where the host sets them, `repoFile`
   * the stack's `.env` in the repository (both named in messages).
   */
  constructor(
    layers: readonly VariableLayer[],
    readonly hostKnown: boolean,
    readonly hostFile: string,
    readonly repoFile: string,
  ) {
    this.layers = layers;
  }

  lookup(name: string): string | undefined {
    return this.layerOf(name)?.values.get(name);
  }

  sourceOf(name: string): VariableSource | undefined {
    return this.layerOf(name)?.source;
  }

  /** Whether the value of `name` is a secret: from the host's file, or decrypted from an encrypted one. */
  isSecret(name: string): boolean {
    const layer = this.layerOf(name);
    return layer !== undefined && (layer.source === "host" || layer.secret === true);
  }

  /** The same scope with lower-precedence layers under it (an included project's `.env`). */
  under(layers: readonly VariableLayer[]): VariableScope {
    return new VariableScope([...layers, ...this.layers], this.hostKnown, this.hostFile, this.repoFile);
  }

  /** The same variables without the host's: for the project name, which decides which host file is read. */
  withoutHost(): VariableScope {
    return new VariableScope(
      this.layers.filter((l) => l.source !== "host"),
      true,
      this.hostFile,
      this.repoFile,
    );
  }

  /** Only what the host and (with the setting) the agent's environment give: `environment: [FOO]` passes these through. */
  passThrough(): VariableScope {
    return new VariableScope(
      this.layers.filter((l) => l.source !== "repository"),
      this.hostKnown,
      this.hostFile,
      this.repoFile,
    );
  }

  /** Every value that came from the host file, by variable, to keep them out of messages. */
  hostValues(): ReadonlyMap<string, string> {
    const host = this.layers.filter((l) => l.source === "host" || l.secret === true);
    return new Map(host.flatMap((l) => [...l.values]));
  }

  private layerOf(name: string): VariableLayer | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i] as VariableLayer;
      if (layer.values.has(name)) return layer;
    }
    return undefined;
  }
}

/** The agent's environment as a layer: only when the config asks for it, and never GITDOCK_*. */
export function processLayer(env: Readonly<Record<string, string | undefined>> | undefined): VariableLayer[] {
  if (env === undefined) return [];
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !name.startsWith("GITDOCK_")) values.set(name, value);
  }
  return [{ source: "process", values }];
}
