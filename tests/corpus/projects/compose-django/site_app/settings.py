from pathlib import Path

import environ

env = environ.Env(DJANGO_DEBUG=(bool, False))
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-corpus-key")
DEBUG = env("DJANGO_DEBUG")
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "notes",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "site_app.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
WSGI_APPLICATION = "site_app.wsgi.application"
# production sets DATABASE_URL=postgres://... (psycopg2); the default needs no server
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:////tmp/notes.sqlite3")}
STATIC_URL = "static/"
USE_TZ = True
