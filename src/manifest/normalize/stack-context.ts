import type { StackFiles } from "../files/commit-files.js";
import type { ManifestEngine } from "../load/load-environment.js";
import type { WrittenScalar } from "../yaml/written-scalar.js";

/** Where a config's content comes from: a file of the repository, or the compose file itself. */
export type ConfigSource = { repoPath: string } | { content: string };

/** What a service needs to know about the rest of its stack to resolve its references. */
export interface StackContext {
  project: string;
  /** What the stack runs as: under `swarm` the services are read as Swarm services (src/manifest/swarm/). */
  engine: ManifestEngine;
  /** Every service key of the file, including ones with problems of their own. */
  serviceNames: ReadonlySet<string>;
  /** Keys declared under top-level `networks:`. */
  networkKeys: ReadonlySet<string>;
  /** Declared volume key → Engine volume name. */
  volumeNames: ReadonlyMap<string, string>;
  /** Declared secret key → host file (undefined when the declaration has problems of its own). */
  secretFiles: ReadonlyMap<string, string | undefined>;
  /** Declared secret key → repository path, for secrets committed encrypted (decrypted on the host). */
  encryptedSecrets?: ReadonlyMap<string, string>;
  /** Declared config key → where its content comes from (undefined when the declaration has problems of its own). */
  configSources: ReadonlyMap<string, ConfigSource | undefined>;
  /** Files of the repository and data directories, resolved against the stack file's directory. */
  files: StackFiles;
  /** The text of a plain scalar as written, by its path in the file (a file mode like `0440`). */
  writtenScalar: WrittenScalar;
}
