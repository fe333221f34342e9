import os

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def index(request):
    files = sorted(os.listdir(settings.MEDIA_ROOT)) if os.path.isdir(settings.MEDIA_ROOT) else []
    return render(request, "gallery/index.html", {"files": files})


def health(request):
    return JsonResponse({"ok": True})
