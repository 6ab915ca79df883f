"""Errors meant for the user, and the one handler every face reports them through.

A `UserError` is a message for the user: one line saying what to fix, and the exit code it
stands for. Anything else that escapes a face is a bug: one "internal error" line and its own
exit code. The traceback is printed only with REVIEWBOT_DEBUG set (secrets masked).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_INTERNAL, EXIT_USAGE
from reviewbot.redact import redact

EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A usage, configuration or input problem; the message is one line for the user."""

    exit_code: ClassVar[int] = EXIT_USAGE


class UnusableEndpoint(UserError):
    """The model endpoint cannot be used at all."""

    exit_code = EXIT_ENDPOINT


def debug_enabled() -> bool:
    return bool(os.environ.get("REVIEWBOT_DEBUG"))


def _traceback(exc: BaseException) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    sys.stderr.flush()


@contextmanager
def error_handler(report: Callable[[str], None], *, hint: str = "") -> Iterator[None]:
    """Turn what escapes the block into one reported line and a SystemExit with its code.

    `report` prints a line the face's way (stderr for the command line, a workflow command in
    the Action); `hint` is added to user errors (how to skip the pre-commit hook). A closed
    stdout (BrokenPipeError) is left to the caller.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except UserError as exc:
        if debug_enabled():
            _traceback(exc)
        report(f"{exc}{hint}")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        report("interrupted")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if debug_enabled():
            _traceback(exc)
            report(f"internal error: {exc.__class__.__name__}: {exc}")
        else:
            report(
                f"internal error: {exc.__class__.__name__}: {exc} "
                "(set REVIEWBOT_DEBUG=1 for the traceback)"
            )
        raise SystemExit(EXIT_INTERNAL) from None
