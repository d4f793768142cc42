"""``python -m glas``: the same as the ``glas`` command."""

from .cli import main

main()
