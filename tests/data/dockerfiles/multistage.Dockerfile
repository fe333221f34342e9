ARG PYTHON_IMAGE=python:3.11-slim
ARG APP_DIR=/app

FROM ${PYTHON_IMAGE} AS builder
ARG APP_DIR
ENV VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv "$VIRTUAL_ENV"
COPY requirements/base.txt requirements/ml.txt /tmp/requirements/
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    --mount=type=bind,source=constraints.txt,target=/tmp/constraints.txt \
    "$VIRTUAL_ENV/bin/pip" install -r /tmp/requirements/base.txt -c /tmp/constraints.txt

FROM builder AS test
COPY requirements/test.txt /tmp/requirements/
RUN --mount=type=cache,target=/root/.cache/pip "$VIRTUAL_ENV/bin/pip" install -r /tmp/requirements/test.txt
COPY ["tests/", "/src/tests/"]
COPY inference_service/ /src/inference_service/
RUN ["/opt/venv/bin/python", "-m", "pytest", "/src/tests"]

FROM python:3.11-slim AS runtime
ARG APP_DIR
ARG PORT=8000
ENV PATH=/opt/venv/bin:$PATH LOG_LEVEL=info
RUN useradd --create-home --uid 10001 app
WORKDIR ${APP_DIR}
COPY --from=builder --link /opt/venv /opt/venv
COPY --chown=app:app --chmod=0755 inference_service/ ./inference_service/
COPY --chown=app:app config/*.toml config/*.yaml ./config/
COPY --from=docker.io/library/busybox:1.36 /bin/wget /usr/local/bin/wget
USER app
EXPOSE ${PORT}/tcp
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"]
ENTRYPOINT ["uvicorn"]
CMD ["inference_service.app:app", "--host", "0.0.0.0", "--port", "8000"]
