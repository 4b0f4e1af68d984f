# syntax=docker/dockerfile:1
# gitdock as a container. It manages the host's containers through the Docker socket:
#
#   docker run -d --name gitdock --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v gitdock-state:/var/lib/gitdock \
#     -v /etc/gitdock:/etc/gitdock:ro \
#     -p 127.0.0.1:9380:9380 \
#     gitdock
#
# The agent listens on 127.0.0.1:9380 by default; set `listen: 0.0.0.0:9380` in the config for
# the published port (metrics, webhooks) to reach it, and list in `agent.allowed_hosts` any name
# other than 127.0.0.1/localhost that clients use for it (a proxy's, a Prometheus target's). The
# HEALTHCHECK works either way.

# The base image is pinned by digest in all three stages, so a rebuild gets the same base and a
# moved or poisoned tag changes nothing. The digest is one published for the tag
# node:20-bookworm-slim (Node 20.20.2). Check it, or move to a newer base (all three together):
#   docker buildx imagetools inspect node:20-bookworm-slim --format '{{.Manifest.Digest}}'

# --- build: full dependencies, compile TypeScript -------------------------------------------
FROM node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only, in a clean stage -----------------------------------
FROM node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------
FROM node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Runs as root: the Docker socket is root-equivalent anyway, and its group id differs per host.
VOLUME /var/lib/gitdock
EXPOSE 9380
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9380/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM lets a rollout in progress finish or roll back; stop with: docker stop -t 180 gitdock
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["run", "--config", "/etc/gitdock/config.yaml"]
