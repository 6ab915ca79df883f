"""Run the `reviewbot` command in-process, as the tests do."""

from __future__ import annotations

from click.testing import CliRunner, Result

from reviewbot.cli import command

CODE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(command, list(args), input=input, catch_exceptions=False)
