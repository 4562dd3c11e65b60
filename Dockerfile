# syntax=docker/dockerfile:1
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY . .
# generate never runs the schema engine; pointing at any file keeps it from downloading one.
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; embedded Postgres is a development convenience.
RUN npm ci --no-audit --no-fund --omit=dev --omit=optional --ignore-scripts

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma ./prisma
COPY bin ./bin
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The broker applies pending migrations at start under a Postgres advisory lock, so replicas
# may start together. The preload turns tracing on only when OTEL_* variables ask for it.
CMD ["node", "--import", "./dist/src/observability/tracing.js", "dist/src/main.js"]
