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
RUN pip install .

USER darcy
VOLUME ["/data"]
ENTRYPOINT ["darcy"]
CMD ["run"]
