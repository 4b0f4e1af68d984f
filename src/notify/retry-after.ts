/**
 * A `Retry-After` header (RFC 9110: delay-seconds or an HTTP-date) as milliseconds from `now`;
 * undefined when absent or unreadable. Slack, Discord and ntfy send it with a 429.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
