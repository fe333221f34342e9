# no base image
WORKDIR /app
COPY . .
