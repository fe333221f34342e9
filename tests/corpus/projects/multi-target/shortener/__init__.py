"""A URL shortener with a web service and a command line, built from one Dockerfile."""
