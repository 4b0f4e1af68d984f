export interface PortInterval {
  start: number;
  end: number;
}

/** "80" or "8000-8999"; undefined when it is neither. */
export function parseInterval(text: string): PortInterval | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start >= 1 && end <= 65535 && start <= end ? { start, end } : undefined;
}

/** True when every port of `wanted` is in one of the allowed intervals. */
export function portsAllowed(wanted: PortInterval, allowed: readonly PortInterval[]): boolean {
  for (let port = wanted.start; port <= wanted.end; port++) {
    if (!allowed.some((a) => port >= a.start && port <= a.end)) return false;
  }
  return true;
}
