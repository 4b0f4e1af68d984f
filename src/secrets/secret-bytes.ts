import { inspect } from "node:util";

/**
 * Decrypted content: a secret's bytes, held only in memory. It never prints as itself — not as
 * JSON (state, journal, plans, logs all serialize through JSON), not through util.inspect (pino and
 * console) and not as a string — so a decrypted value that ends up next to something gitdock does
 * write shows as a placeholder instead. Only `bytes()` and `text()` give the content, on purpose.
 */
export class SecretBytes {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get length(): number {
    return this.#bytes.byteLength;
  }

  bytes(): Uint8Array {
    return this.#bytes;
  }

  text(): string {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength).toString("utf8");
  }

  toJSON(): string {
    return "[decrypted content]";
  }

  toString(): string {
    return "[decrypted content]";
  }

  [inspect.custom](): string {
    return `SecretBytes(${this.#bytes.byteLength} bytes)`;
  }
}
