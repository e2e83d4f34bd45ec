# The redirector image: what npm run build:redirector writes (the esbuild bundle, its V8 code cache, the range index
# of the donors' official files, built from them here, and redirector.js, which loads them), on a distroless Node 22
# runtime.
# Build from the repository root: docker build -f docker/redirector.Dockerfile -t redirector .
# (Written, not built, on the project's machines: there is no Docker engine there.)

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY lib ./lib
# The same script as everywhere else: downloads and validates every donor's official range file (URLs in
# lib/clouds/donors.ts), compiles them into the index, bundles bin/redirector.ts and makes its code cache.
RUN npm run -s build:redirector -- --out /out

FROM gcr.io/distroless/nodejs22-debian12:nonroot
# Root only to place the files and make the cache; the service runs as nonroot (below).
USER root
WORKDIR /app
# The bundle loads its ranges from the index beside it: no IP_RANGES, no JSON to parse at start-up.
COPY --from=build /out/redirector.js /out/redirector-main.js /out/redirector-main.cache /out/ip-ranges.bin /out/routing-tables.json ./
# V8 accepts a code cache only from its own version: made again by this image's Node (the build stage's may differ).
RUN ["/nodejs/bin/node", "/app/redirector.js", "--write-code-cache"]
# PORT and EXPOSE are CONTAINER_PORT of lib/redirector/service-contract.ts (test/redirector/service-contract.test.ts).
ENV NODE_ENV=production \
    PORT=8080
USER nonroot
EXPOSE 8080
# The distroless entrypoint is node; SIGTERM reaches it directly (PID 1) and starts the graceful drain.
CMD ["/app/redirector.js"]
