/** What a formatter makes of an event for one service: the POST's headers and its exact body. */
export interface NotificationRequest {
  headers: Record<string, string>;
  body: string;
}

export function jsonRequest(payload: unknown): NotificationRequest {
  return { headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) };
}
