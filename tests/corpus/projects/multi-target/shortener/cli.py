import click

from shortener.core import short_code


@click.command()
@click.argument("url")
@click.option("--length", default=7)
def main(url, length):
    """Print the short code of URL."""
    click.echo(short_code(url, length))


if __name__ == "__main__":
    main()
