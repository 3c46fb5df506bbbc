# syntax=docker/dockerfile:1
# ticketflow as a container: `docker run` starts the service (`ticketflow run`); override the
# command for one cycle (`once`), the demo (`demo`) or a check (`validate`).

# --- build: a virtual environment with ticketflow and its dependencies -------------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY rules.yaml mappings.yaml ./
COPY rules ./rules
COPY schema ./schema
COPY examples ./examples
COPY connector ./connector
RUN python -m venv /opt/ticketflow \
 && /opt/ticketflow/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/ticketflow/bin/pip install --no-cache-dir .

# --- runtime: the venv only, a non-root user, config read-only, state in a volume --------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin ticketflow \
 && mkdir -p /data /config \
 && chown ticketflow /data
COPY --from=build /opt/ticketflow /opt/ticketflow
ENV PATH=/opt/ticketflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TICKETFLOW_CONFIG_DIR=/config \
    TICKETFLOW_STATE_DB=/data/ticketflow.db \
    TICKETFLOW_OUTBOX_DIR=/data/outbox \
    TICKETFLOW_HTTP_HOST=0.0.0.0 \
    TICKETFLOW_HTTP_PORT=8787
# 0.0.0.0 inside the container only: publish the port to loopback on the host (see deploy/).
USER ticketflow
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["ticketflow"]
CMD ["run"]
