import { describeStanzas, readAgeFile, type AgeFile } from "./age/age-file.js";
import { readSopsDocument, type SopsDocument, type SopsFormat } from "./sops/read-sops-document.js";
import { describeRecipients } from "./sops/sops-metadata.js";
import { unencryptedValues } from "./sops/check-structure.js";

/**
 * An encrypted file of the repository as seen without any key: SOPS (by its metadata) or age (by
 * its header), who it is encrypted for, and what is wrong with its structure. Pure; what
 * `gitdock validate` checks in a pull request, and what a host checks before decrypting.
 */
export type EncryptedFile =
  | { kind: "sops"; format: SopsFormat; recipients: string[]; problems: string[]; document: SopsDocument }
  | { kind: "age"; format: "age"; recipients: string[]; problems: string[]; age: AgeFile; bytes: Uint8Array };

export function inspectEncryptedFile(bytes: Uint8Array): EncryptedFile | undefined {
  const age = readAgeFile(bytes);
  if (age) return { kind: "age", format: "age", recipients: describeStanzas(age), problems: age.problems, age, bytes };
  const document = readSopsDocument(bytes);
  if (!document) return undefined;
  const problems = [...document.problems, ...unencryptedValues(document)];
  return { kind: "sops", format: document.format, recipients: describeRecipients(document.metadata), problems, document };
}

/** "SOPS (dotenv)", "age (armored)": how messages name a file's kind. */
export function describeKind(file: EncryptedFile): string {
  return file.kind === "sops" ? `SOPS ${file.format}` : file.age.armored ? "age file, armored" : "age file";
}
