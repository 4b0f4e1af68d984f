/** How a key a Swarm service cannot carry is reported, so every such problem reads alike. */
export function notOnSwarm(reason: string): string {
  return `not supported on a Swarm (${reason})`;
}

/** The way out for what only a plain Docker host can do. */
export const USE_CONTAINERS_HOST = "or run the service on a host whose agent has engine: containers";
