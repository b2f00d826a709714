"""Errors raised by `outcomes`.

A small tree: everything derives from :class:`OutcomesError`, and each
subclass also derives from the built-in exception a caller would expect, so
``except ValueError`` still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outcomes.schema import Problems

__all__ = [
    "InputError",
    "MappingError",
    "MissingFileError",
    "OptionError",
    "OutcomesError",
    "ValidationError",
]


class OutcomesError(Exception):
    """Base class of every error this package raises on purpose."""


class OptionError(OutcomesError, ValueError):
    """An option or argument is invalid: a threshold out of range, an unknown column."""


class InputError(OutcomesError, ValueError):
    """A file cannot be read as follow-up data: missing, unknown format, unreadable."""


class MissingFileError(InputError, FileNotFoundError):
    """A named input file does not exist (a usage error on the command line)."""


class MappingError(InputError):
    """A mapping file (TOML) is malformed or names something unknown."""


class ValidationError(InputError):
    """The data were read but break the data contract.

    Attributes
    ----------
    problems : Problems
        Every problem found, errors and warnings, one row each.
    """

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        errors = problems.errors
        lines = errors.lines()
        shown = "\n".join(lines[:20])
        more = f"\n... and {len(lines) - 20} more" if len(lines) > 20 else ""
        super().__init__(f"{len(lines)} error(s) in the input:\n{shown}{more}")
