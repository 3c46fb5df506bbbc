# syntax=docker/dockerfile:1
# ticketflow as a container: `docker run` starts the service (`ticketflow run`); override the
# command for one cycle (`once`), the demo (`demo`, on its embedded defaults whatever this
# image sets) or a check (`validate`).
#
# BASE: any image with Python 3.11+ and its venv module. The default is the official slim
# image; CI builds on a local Debian bookworm base made with mmdebstrap (.ci/container).
ARG BASE=python:3.11-slim

# --- build: a virtual environment with ticketflow and its dependencies -------------------
FROM ${BASE} AS build
# PIP_CERT: a CA bundle the builder mounts, where the package registry is reached through a
# TLS-inspecting proxy (empty: the base's own CAs).
ARG PIP_CERT=""
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY rules.yaml mappings.yaml ./
COPY rules ./rules
COPY schema ./schema
COPY examples ./examples
COPY connector ./connector
RUN python3 -m venv /opt/ticketflow \
 && /opt/ticketflow/bin/pip install --no-cache-dir --disable-pip-version-check \
      ${PIP_CERT:+--cert "$PIP_CERT"} .

# --- runtime: the venv only, a non-root user, config read-only, state in a volume --------
FROM ${BASE}
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
# TICKETFLOW_PUBLIC_URL (the address customers' browsers use for the feedback form) and
# TICKETFLOW_MAIL_FROM are per deployment: set them with the Jira settings (deploy/).
USER ticketflow
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787
# Asks /healthz on TICKETFLOW_HTTP_PORT (whatever it is set to) while `run` or
# `serve-feedback` serves; a container running a one-shot command (`once`) passes unasked.
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
  CMD ["/opt/ticketflow/bin/python", "-m", "connector.healthcheck"]
ENTRYPOINT ["ticketflow"]
CMD ["run"]
