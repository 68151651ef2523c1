"""`python -m kindplane` is the `kindplane` command."""

from kindplane.cli import main

main()
