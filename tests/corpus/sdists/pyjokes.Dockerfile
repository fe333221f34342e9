FROM python:3.11-slim
COPY . /src
RUN pip install /src
CMD ["pyjoke"]
