# Comptroller: the GraphQL API, served by uvicorn as a non-root user.
# The browser files GraphiQL and the dashboard use, fetched from the npm registry by the
# lockfile (nothing is built); only node_modules is carried over.
FROM node:20-slim AS browser-packages
WORKDIR /web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci

# Oso 0.27.3 ships wheels for CPython <= 3.12 only, hence 3.12.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    COMPTROLLER_POLICY_PATH=/app/policy.polar \
    COMPTROLLER_BROWSER_PACKAGES_DIR=/app/web/node_modules

WORKDIR /app
RUN useradd --create-home --uid 10001 comptroller

COPY pyproject.toml README.md policy.polar ./
COPY comptroller ./comptroller
COPY schema ./schema
COPY resolvers ./resolvers
COPY kernel ./kernel
COPY models ./models
COPY --from=browser-packages /web/node_modules ./web/node_modules
RUN pip install . && chown -R comptroller /app

USER comptroller
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
# Run `comptroller init-db` once per release (the compose file does it before serving).
CMD ["comptroller", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
