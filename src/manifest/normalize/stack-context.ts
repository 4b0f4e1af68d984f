/** What a service needs to know about the rest of its stack to resolve its references. */
export interface StackContext {
  project: string;
  /** Every service key of the file, including ones with problems of their own. */
  serviceNames: ReadonlySet<string>;
  /** Keys declared under top-level `networks:`. */
  networkKeys: ReadonlySet<string>;
  /** Declared volume key → Engine volume name. */
  volumeNames: ReadonlyMap<string, string>;
  /** Declared secret key → host file (undefined when the declaration has problems of its own). */
  secretFiles: ReadonlyMap<string, string | undefined>;
}
