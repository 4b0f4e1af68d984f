/** A document path: map keys and list indexes, as the manifest's problems use them. */
export type DocPath = (string | number)[];

/** What a policy rule refuses, at the path of the stack's file where it was written. */
export interface Violation {
  path: DocPath;
  message: string;
}
