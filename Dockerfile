# One image serves all five code locations (docs/deployment.md, "Image"): Helm and
# Dagster+ name the module to load; LOCATION only sets what a bare `docker run` serves.
# .ci/image-build runs these RUN lines outside Docker, so keep each one a plain command.
FROM python:3.11-slim

ARG LOCATION=kipptaf

# root-only: the account the build and the code server run as, and the app directory it owns
RUN groupadd --gid 10001 teamster \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin teamster \
    && install -d -o 10001 -g 10001 /app

# pinned: the uv version the lock is kept with; from PyPI, like the rest of the image
RUN pip install --no-cache-dir uv==0.13.9

ENV PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    PATH=/app/.venv/bin:$PATH

# numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd
USER 10001:10001
WORKDIR /app

# dependencies first: this layer is rebuilt only when the lock changes
COPY --chown=10001:10001 pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/home/teamster/.cache/uv,uid=10001 \
    uv sync --locked --extra prod --no-dev --no-install-project

# the project stays editable so src/dbt sits next to the code that finds it
COPY --chown=10001:10001 src ./src
RUN --mount=type=cache,target=/home/teamster/.cache/uv,uid=10001 \
    uv sync --locked --extra prod --no-dev

# prod never parses dbt at load: every project's manifest is written here, once
RUN teamster dbt prepare

ENV TEAMSTER_ENV=prod \
    TEAMSTER_LOCATION=${LOCATION} \
    TEAMSTER_GRPC_PORT=4000
EXPOSE 4000
CMD ["sh", "-c", "exec dagster code-server start --host 0.0.0.0 --port \"$TEAMSTER_GRPC_PORT\" --module-name \"teamster.code_locations.$TEAMSTER_LOCATION.definitions\" --location-name \"$TEAMSTER_LOCATION\""]
