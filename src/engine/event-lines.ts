/**
 * The Engine's event stream is newline-delimited JSON, split across chunks anywhere. Calls
 * `handle` once per complete, parseable line; lines that are not JSON are skipped.
 */
export function onJsonLines(stream: NodeJS.ReadableStream, handle: (value: unknown) => void): void {
  let buffered = "";
  stream.on("data", (chunk: Buffer | string) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      handle(value);
    }
  });
}

/** Ends a stream from dockerode's getEvents (its type does not show `destroy`). */
export function destroyStream(s: NodeJS.ReadableStream): void {
  (s as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
