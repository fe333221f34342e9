import sys

import click

from wordcount.counting import count


@click.command()
@click.argument("files", nargs=-1, type=click.File("r"))
def main(files):
    """Print lines, words and characters of FILES (or standard input)."""
    for handle in files or (click.get_text_stream("stdin"),):
        c = count(handle.read())
        click.echo(f"{c.lines:8}{c.words:8}{c.chars:8} {handle.name}")


if __name__ == "__main__":
    sys.exit(main())
