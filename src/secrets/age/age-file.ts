/**
 * A file encrypted with age (https://age-encryption.org/v1), binary or armored (`age -a`). Its
 * header lists one stanza per recipient; X25519 and post-quantum stanzas do not name their
 * recipient (that is age's design), so only their kinds can be shown.
 */
export interface AgeFile {
  armored: boolean;
  /** Stanza kinds in order: X25519, mlkem768x25519, scrypt, ... */
  stanzas: string[];
  problems: string[];
}

const MAGIC = "age-encryption.org/v1\n";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

/** The file as an age file when it starts like one; undefined otherwise. Pure: no key is needed. */
export function readAgeFile(bytes: Uint8Array): AgeFile | undefined {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.byteLength, 64 * 1024))).toString("latin1");
  if (head.startsWith(MAGIC)) return { armored: false, ...stanzasOf(head) };
  if (head.trimStart().startsWith(ARMOR_BEGIN)) {
    const decoded = dearmor(Buffer.from(bytes).toString("latin1"));
    if (decoded === undefined) return { armored: true, stanzas: [], problems: ["the armor is not valid base64 between BEGIN and END AGE ENCRYPTED FILE"] };
    return { armored: true, ...stanzasOf(decoded.subarray(0, 64 * 1024).toString("latin1")) };
  }
  return undefined;
}

function stanzasOf(text: string): { stanzas: string[]; problems: string[] } {
  if (!text.startsWith(MAGIC)) return { stanzas: [], problems: ["the header does not start with age-encryption.org/v1"] };
  const lines = text.slice(MAGIC.length).split("\n");
  const stanzas: string[] = [];
  for (const line of lines) {
    if (line.startsWith("-> ")) stanzas.push(line.slice(3).split(" ")[0] ?? "");
    else if (line.startsWith("---")) return { stanzas, problems: stanzas.length ? [] : ["the header lists no recipient"] };
  }
  return { stanzas, problems: ["the header does not end (no --- line): the file is cut short"] };
}

function dearmor(text: string): Buffer | undefined {
  const m = /-----BEGIN AGE ENCRYPTED FILE-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END AGE ENCRYPTED FILE-----/.exec(text);
  return m ? Buffer.from((m[1] ?? "").replace(/\s+/g, ""), "base64") : undefined;
}

/** The recipients as far as the file says: `age X25519 recipient (×2)`. */
export function describeStanzas(file: AgeFile): string[] {
  const counts = new Map<string, number>();
  for (const s of file.stanzas) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `age ${kind} recipient${n > 1 ? ` (×${n})` : ""} (age files do not name their recipients)`);
}
