FROM python:3.11-slim
ENV APP_MODE=prod LOG_LEVEL=info
WORKDIR /srv/app
RUN useradd --system --uid 1234 svc && mkdir /data && chown svc /data
VOLUME ["/data"]
EXPOSE 8080 9000/udp
LABEL org.example.role=web
STOPSIGNAL SIGINT
HEALTHCHECK CMD ["python3", "-c", "print(1)"]
USER svc
ENTRYPOINT ["python3", "-m", "http.server"]
CMD ["8080"]
