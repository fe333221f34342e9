FROM python:3.11-slim
COPY --chmown=app:app . /app
