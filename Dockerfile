# syntax=docker/dockerfile:1
# sump: build with the dev dependencies, run with the production ones only.
#   docker build -t sump .
#   docker run -p 8080:8080 -e AUTH_SECRET=... -e DATABASE_URL=postgres://... sump
# or `docker compose up` with docker-compose.yml (PostgreSQL included).

ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# dist/ holds src/, migrations/ and scripts/ compiled (tsconfig.build.json); views/ are read at run time.
COPY --from=build /app/dist ./dist
COPY views ./views
# DATA_DIR (./data) is only used by the embedded database, which a container rarely wants;
# it must be writable by the user sump runs as.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
# No curl in the slim image: node asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm start`: its prestart builds, which needs the dev dependencies this image does not have.
CMD ["node", "dist/src/main.js"]
