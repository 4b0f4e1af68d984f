/**
 * A commit's signature and the exact bytes it signs, rebuilt from the raw commit object the way
 * git does it (commit.c, parse_buffer_signed_by_header): the `gpgsig` header and its continuation
 * lines (each starting with one space) are cut out of the headers; everything else — other headers
 * (`gpgsig-sha256` included), the blank line and the message — is the payload, byte for byte.
 */
export interface CommitSignature {
  /** The armored signature, continuation spaces removed; undefined for an unsigned commit. */
  signature: string | undefined;
  /** What was signed: the commit object without its signature header. */
  payload: Buffer;
  /** The committer time, which bounds an allowed signer's valid-after/valid-before. */
  committedAt: Date | undefined;
}

const SIG_HEADER = Buffer.from("gpgsig ");

export function splitCommitSignature(raw: Buffer): CommitSignature {
  const payload: Buffer[] = [];
  const sig: Buffer[] = [];
  let inSignature = false;
  let offset = 0;
  while (offset < raw.length) {
    const nl = raw.indexOf(0x0a, offset);
    let next = nl < 0 ? raw.length : nl + 1;
    const line = raw.subarray(offset, next);
    if (inSignature && line[0] === 0x20) {
      sig.push(line.subarray(1));
    } else if (line.subarray(0, SIG_HEADER.length).equals(SIG_HEADER)) {
      sig.push(line.subarray(SIG_HEADER.length));
      inSignature = true;
    } else {
      // The blank line ends the headers: the rest (the message) is payload as it stands.
      if (line[0] === 0x0a) next = raw.length;
      payload.push(raw.subarray(offset, next));
      inSignature = false;
    }
    offset = next;
  }
  const signature = sig.length ? Buffer.concat(sig).toString("utf8") : undefined;
  return { signature, payload: Buffer.concat(payload), committedAt: committerTime(raw) };
}

function committerTime(raw: Buffer): Date | undefined {
  const end = raw.indexOf("\n\n");
  const headers = raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
  const m = /^committer .* (\d+) [+-]\d{4}$/m.exec(headers);
  return m ? new Date(Number(m[1]) * 1000) : undefined;
}
