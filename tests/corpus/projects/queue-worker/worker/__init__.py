"""A Celery-style job worker without a broker: jobs are JSON files in a queue directory."""
