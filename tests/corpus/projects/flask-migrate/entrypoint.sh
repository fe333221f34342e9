#!/bin/sh
set -e
python -m notes.migrate
exec gunicorn --bind 0.0.0.0:5000 --workers 2 notes.app:app
