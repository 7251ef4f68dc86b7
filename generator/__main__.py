"""``python -m generator`` is the same as the ``congkhai`` command."""

from generator.cli import main

main()
