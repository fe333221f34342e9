# syntax=docker/dockerfile:1
# check=skip=JSONArgsRecommended
FROM python:3.11-slim
RUN <<EOT
set -eux
apt-get update
apt-get install -y --no-install-recommends curl
rm -rf /var/lib/apt/lists/*
EOT
COPY <<EOF /etc/app/settings.toml
[server]
port = 8000
EOF
COPY app.py /srv/app.py
ENTRYPOINT python /srv/app.py
HEALTHCHECK NONE
