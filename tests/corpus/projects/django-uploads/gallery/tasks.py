from celery import shared_task
from django.conf import settings
from PIL import Image


@shared_task
def thumbnail(name: str, size: int = 256) -> str:
    path = settings.MEDIA_ROOT / name
    with Image.open(path) as image:
        image.thumbnail((size, size))
        target = path.with_name(f"thumb-{path.name}")
        image.save(target)
    return target.name
