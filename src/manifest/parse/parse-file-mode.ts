/**
 * A file mode as Compose reads it: octal when written with a leading zero (`0440`, which YAML 1.2
 * would read as the decimal 440), `0o440`, or a string of octal digits (`"0440"`, `"440"`); any
 * other number is taken as it is (`288` is 0440). `written` is the scalar's text, when known.
 */
export type FileModeResult = { mode: number } | { error: string };

export function parseFileMode(value: number | string, written: string | undefined): FileModeResult {
  const mode =
    typeof value === "string"
      ? Number.parseInt(value.replace(/^0o/, ""), 8)
      : written !== undefined && /^0[0-7]+$/.test(written)
        ? Number.parseInt(written, 8)
        : value;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) return { error: `${written ?? String(value)} is not a file mode (octal, at most 07777)` };
  return { mode };
}

/** Setuid, setgid and sticky bits: a file from the repository gets none of them. */
export function hasSpecialBits(mode: number): boolean {
  return (mode & 0o7000) !== 0;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
