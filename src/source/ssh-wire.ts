/**
 * A reader for the SSH wire encoding (RFC 4251 §5): `uint32`, `string` (length-prefixed bytes)
 * and `mpint`. Every read is bounds-checked; a short or overlong buffer throws `SshWireError`,
 * which callers turn into "malformed".
 */
export class SshWireError extends Error {
  override readonly name = "SshWireError";
}

export class SshWireReader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.offset === this.buf.length;
  }

  uint32(): number {
    if (this.offset + 4 > this.buf.length) throw new SshWireError("truncated uint32");
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Buffer {
    if (n > this.buf.length - this.offset) throw new SshWireError("truncated data");
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A length-prefixed byte string. */
  string(): Buffer {
    return this.bytes(this.uint32());
  }

  /** A length-prefixed string that must be printable ASCII (algorithm names, namespaces). */
  text(): string {
    const b = this.string();
    if (!/^[\x20-\x7e]*$/.test(b.toString("latin1"))) throw new SshWireError("non-ASCII name");
    return b.toString("latin1");
  }

  /** A non-negative mpint as its big-endian magnitude, without the sign byte. */
  mpint(): Buffer {
    const b = this.string();
    if (b.length > 0 && (b[0] as number) & 0x80) throw new SshWireError("negative mpint");
    let start = 0;
    while (start < b.length && b[start] === 0) start++;
    return b.subarray(start);
  }

  /** Fails unless every byte was read: trailing data means a different structure than expected. */
  end(): void {
    if (!this.done) throw new SshWireError("trailing data");
  }
}

export function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
