# syntax=docker/dockerfile:1
# The replication job (registry -> S3, registry -> registry) as the Cloud Run job runs it.
# Build from the repository root:  docker build -f docker/replicator.Dockerfile -t replicator .
# Written, not built here (no Docker engine on the development machines).

# --- build: install exactly the locked dependencies, bundle the CLI into one file ---------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin/replicate.ts bin/
COPY lib/ lib/
# One self-contained CommonJS file: runtime code only (lib/replicator, lib/oci, lib/topology, AWS and Azure SDKs,
# pino...). import.meta.url, which ES modules of the Azure SDK read at load, is the bundle's own file URL in it.
RUN npx esbuild bin/replicate.ts --bundle --platform=node --target=node22 --format=cjs --define:import.meta.url=__bundle_url --banner:js="const __bundle_url = require('node:url').pathToFileURL(__filename).href;" --outfile=/out/replicate.js

# --- runtime: Node 22 slim with only the bundle, as the unprivileged `node` user ----------------------------------
FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build --chown=root:root --chmod=0444 /out/replicate.js /app/replicate.js
USER node
ENV NODE_ENV=production
# The Cloud Run job passes the subcommand and flags, e.g. ["s3", "--source", "...", "--bucket", "..."].
ENTRYPOINT ["node", "/app/replicate.js"]
