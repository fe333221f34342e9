FROM python:3.11-slim
RUN <<EOT
echo never closed
