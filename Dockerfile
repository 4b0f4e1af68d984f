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
# the published port (metrics, webhooks) to reach it. The HEALTHCHECK works either way.

# --- build: full dependencies, compile TypeScript -------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only, in a clean stage -----------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------
FROM node:20-bookworm-slim
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
