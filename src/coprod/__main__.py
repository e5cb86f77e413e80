"""``python -m coprod``: the same as the ``coprod`` command."""

from .cli import main

main(prog_name="coprod")
