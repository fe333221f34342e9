FROM python:3.11-slim
COPY . /app
RUNN pip install -r /app/requirements.txt
