# The redirector image: one esbuild bundle plus the donors' IP-range files, on a distroless Node 22 runtime.
# Build from the repository root: docker build -f docker/redirector.Dockerfile -t redirector .
# (Written, not built, on the project's machines: there is no Docker engine there.)

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY lib ./lib
# One self-contained file: no node_modules in the runtime image, and a fast start (no module resolution).
RUN npx esbuild bin/redirector.ts --bundle --platform=node --target=node22 --outfile=/out/redirector.js
# The official range files of every donor (URLs in lib/clouds/donors.ts), validated before they are written.
RUN npx tsx bin/fetch-ip-ranges.ts --out /out/ip-ranges

FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
COPY --from=build /out/redirector.js ./redirector.js
COPY --from=build /out/ip-ranges ./ip-ranges
# PORT and EXPOSE are CONTAINER_PORT of lib/redirector/service-contract.ts (test/redirector/service-contract.test.ts).
ENV NODE_ENV=production \
    PORT=8080 \
    IP_RANGES=aws=/app/ip-ranges/aws.json,gcp=/app/ip-ranges/gcp.json,azure=/app/ip-ranges/azure.json
USER nonroot
EXPOSE 8080
# The distroless entrypoint is node; SIGTERM reaches it directly (PID 1) and starts the graceful drain.
CMD ["/app/redirector.js"]
