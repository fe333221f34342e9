from django.shortcuts import render

NOTES = ["split requirements", "order the layers", "mount the caches"]


def index(request):
    return render(request, "notes/index.html", {"notes": NOTES})
