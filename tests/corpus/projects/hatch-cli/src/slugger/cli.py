import argparse

from slugify import slugify


def make_slug(title: str, *, max_length: int = 0) -> str:
    return slugify(title, max_length=max_length)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slugger", description="Turn titles into URL slugs.")
    parser.add_argument("titles", nargs="+")
    parser.add_argument("--max-length", type=int, default=0)
    args = parser.parse_args(argv)
    for title in args.titles:
        print(make_slug(title, max_length=args.max_length))
    return 0
