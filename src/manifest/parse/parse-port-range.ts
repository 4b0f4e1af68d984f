export interface PortRange {
  start: number;
  end: number;
}

/** `8080` or `8080-8081`, every port in 1..65535; undefined otherwise. */
export function parsePortRange(text: string): PortRange | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  const valid = start >= 1 && end <= 65535 && start <= end;
  return valid ? { start, end } : undefined;
}

export function rangeLength(range: PortRange): number {
  return range.end - range.start + 1;
}

export function formatPortRange(range: PortRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}
