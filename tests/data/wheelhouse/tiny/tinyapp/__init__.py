"""Usage: tinyapp [--name=NAME]"""

import docopt
import six


def main(argv: list[str] | None = None) -> str:
    args = docopt.docopt(__doc__, argv=argv)
    return six.ensure_str(f"hello {args['--name'] or 'world'}")
