"""Allows `python -m fengkong`."""

from fengkong.cli import main

main()
