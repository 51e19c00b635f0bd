# syntax=docker/dockerfile:1
# One image for both processes: the API by default, the worker with `node dist/worker/main.js`.
# Needs BuildKit (Docker Engine 23+ or `docker buildx build`) for the RUN --mount flags below.

# Debian slim, not alpine: sharp and onnxruntime-node ship prebuilt linux glibc binaries.
ARG NODE_IMAGE=node:20-bookworm-slim

# Optional offline model source. Left empty unless a named build context of the same name replaces it:
#   docker build --build-context model-mirror=/srv/model-mirror --build-arg MODEL_MIRROR=/mirror .
FROM scratch AS model-mirror

# What both installs start from. package.json's allowScripts keeps onnxruntime-node's CUDA download and
# @scarf/scarf's telemetry from running, but only under npm 11.16+; the node:20 image ships npm 10, which runs
# every install script. These two variables are those scripts' own off switches (read by the scripts, not by npm,
# so npm 11 prints no warning about them).
FROM ${NODE_IMAGE} AS npm-base
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json .npmrc ./

# Dev dependencies for the compiler.
FROM npm-base AS deps
RUN --mount=type=cache,target=/root/.npm npm ci

FROM deps AS build
COPY . .
RUN npm run build
# Weights are fetched (sha256-checked by the script) at build time so that containers need no network at start.
# The script fetches the served models: DEFAULT_MODEL plus MODELS (comma-separated), the same keys the worker
# reads, so build with the values you will run with. An empty MODEL_MIRROR counts as unset.
ARG DEFAULT_MODEL=mobilenetv2
ARG MODELS=""
ARG MODEL_MIRROR=""
RUN --mount=type=bind,from=model-mirror,target=/mirror \
    MODELS_DIR=/app/models/cache node dist/models/fetch.js \
 && test -n "$(ls -A /app/models/cache)"

# Production dependencies in their own stage so that neither npm's cache (a cache mount, never in a layer) nor
# other platforms' native binaries reach the final image: onnxruntime-node also ships win32, darwin and the other
# linux architecture (~250 MB together); the binding loads bin/napi-v*/<platform>/<arch> only.
FROM npm-base AS prod-deps
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev \
 && arch="$(node -p process.arch)" \
 && for d in node_modules/onnxruntime-node/bin/napi-v*/*; do \
      [ "$(basename "$d")" = linux ] || rm -rf "$d"; \
    done \
 && for d in node_modules/onnxruntime-node/bin/napi-v*/linux/*; do \
      [ "$(basename "$d")" = "$arch" ] || rm -rf "$d"; \
    done \
 && rm -rf node_modules/@img/sharp-linuxmusl-* node_modules/@img/sharp-libvips-linuxmusl-*

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node (which then drains) and reaps zombies, under compose, `docker run` and
# orchestrators alike, without relying on anyone passing --init.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=4 \
    PORT=8080 \
    WORKER_METRICS_PORT=9464 \
    MODELS_DIR=/app/models/cache \
    UPLOAD_DIR=/data/uploads
# Application files stay root-owned (read-only to the app); only the upload directory is writable. An empty named
# volume mounted at /data/uploads takes this directory's owner, so the node user can write to it.
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json carries "type": "module", without which node would load dist/**/*.js as CommonJS.
COPY package.json ./
COPY --from=build /app/dist ./dist
# models/: manifest.json, any committed label files, and the weights fetched into models/cache.
COPY --from=build /app/models ./models
RUN mkdir -p /data/uploads && chown node:node /data/uploads
USER node
EXPOSE 8080 9464
# Healthy when whichever server this container runs answers /health: the API on PORT or the worker's metrics
# server on WORKER_METRICS_PORT. No curl in slim images, so node's fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env;(async()=>{for(const p of [e.PORT||8080,e.WORKER_METRICS_PORT||9464]){try{const r=await fetch('http://127.0.0.1:'+p+'/health',{signal:AbortSignal.timeout(3000)});if(r.ok)process.exit(0)}catch{}}process.exit(1)})()"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/api/main.js"]
