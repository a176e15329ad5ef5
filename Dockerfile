# Darcy as a service. Configure with DARCY_CONFIG (a mounted TOML file), NOTION_TOKEN,
# the chat platforms' tokens, and DATABASE_URL for PostgreSQL (SQLite in /data otherwise).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    DARCY_DATABASE__URL=sqlite+aiosqlite:////data/darcy.db

RUN useradd --create-home --uid 10001 darcy && mkdir /data && chown darcy /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY integrations ./integrations
COPY config ./config
# EXTRAS=otel adds OpenTelemetry (DARCY_TRACES=otlp); absent by default.
ARG EXTRAS=""
RUN pip install ".${EXTRAS:+[$EXTRAS]}"

USER darcy
VOLUME ["/data"]
# /healthz (alive) and /readyz (database and Notion answer) for orchestrators.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DARCY_SERVICE__HEALTH_PORT', '8080'), timeout=4)"
# `docker stop` sends SIGTERM: Darcy finishes the requests in flight (up to 8 s) and exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["darcy"]
CMD ["run"]
