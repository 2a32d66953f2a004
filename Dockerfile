# The tool as a container, for the reconcile loop (README, "Running unattended"):
#   docker build -t reconcile .
#   docker run -v "$PWD/examples:/spec:ro" -e AWS_REGION=us-east-1 reconcile run -f /spec/microblog.yaml --interval 5m --log-format json
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# node is PID 1 here and handles SIGTERM itself: `docker stop` ends the loop after the tick under way, lease released.
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
