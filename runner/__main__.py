"""``python -m runner``: the chorebench CLI."""

from runner.cli import main

main()
