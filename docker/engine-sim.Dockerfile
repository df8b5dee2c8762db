# syntax=docker/dockerfile:1
# The engine simulator (WAHA- and WuzAPI-compatible; development and demo only, never production).
# Build from the repository root:  docker build -f docker/engine-sim.Dockerfile -t wa-team-engine-sim:0.1.0 .

ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY gateway/package.json gateway/
COPY engine-sim/package.json engine-sim/
COPY web/package.json web/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY engine-sim/ engine-sim/
RUN npm run build -w engine-sim

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SIM_PORT=3100
WORKDIR /app
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY engine-sim/package.json engine-sim/
COPY web/package.json web/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace engine-sim \
    && npm cache clean --force
COPY --from=build /app/engine-sim/dist engine-sim/dist

USER node
EXPOSE 3100
# A TCP probe: the simulator's HTTP routes belong to its own issue.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('net').connect(+(process.env.SIM_PORT||3100),'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"]
CMD ["node", "engine-sim/dist/main.js"]
