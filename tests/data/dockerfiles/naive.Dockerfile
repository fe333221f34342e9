FROM python:3.11-slim

RUN apt-get update
RUN apt-get install -y build-essential gcc git

WORKDIR /app

COPY . .

RUN pip install -r requirements.txt

ENV LOG_LEVEL=info

EXPOSE 8000

CMD ["uvicorn", "inference_service.app:app", "--host", "0.0.0.0", "--port", "8000"]
