"""Printing results that are the same on every machine: the book's output helpers.

Round-off-sized numbers (a difference of 1e-17, a sum that is 0 up to ``ε``) have last
digits, and even signs, that vary between CPUs' ``exp`` and ``log`` routines. A notebook
that printed them raw would read differently on every machine, and nbval would fail.
:func:`below` prints such an error as a bound; :func:`tidy` rounds values for display.
"""

from __future__ import annotations

import textwrap

import numpy as np

__all__ = ["below", "tidy", "wrap"]


def below(error: object, limit: float) -> str:
    """An error, as text that is the same on every machine: ``"< limit"`` when every
    ``|error|`` is below ``limit``, else the largest ``|error|`` itself (a real failure
    shows). Round-off-sized errors have last digits that vary between CPUs' ``exp`` and
    ``log`` routines, so printing them raw would make a notebook's output unstable.

    Args:
        error: a number or an array of errors (differences), any shape.
        limit: the bound a correct result stays under.

    Examples:
        >>> from smgrad.printing import below
        >>> below([1e-17, -3e-16], 1e-12)     # round-off: the same text on every CPU
        '< 1e-12'
        >>> below(0.0312, 1e-12)              # a real error shows itself
        '3.12e-02'
    """
    worst = float(np.max(np.abs(np.asarray(error, dtype=np.float64)), initial=0.0))
    return f"< {limit:.0e}" if worst < limit else f"{worst:.2e}"


def tidy(values: object, decimals: int = 6) -> np.ndarray:
    """``values`` rounded to ``decimals`` places, with ``-0.0`` turned into ``0.0``: for
    printing results that are zero up to round-off, whose size and even sign vary
    between CPUs. Returns a float64 array.

    Examples:
        >>> from smgrad.printing import tidy
        >>> tidy([0.5, -1e-17, 0.1234567891])
        array([0.5     , 0.      , 0.123457])
        >>> tidy([-2e-9, 1.0 / 3.0], decimals=3)
        array([0.   , 0.333])
    """
    return np.round(np.asarray(values, dtype=np.float64), decimals) + 0.0


def wrap(text: str, width: int = 80) -> str:
    """``text`` with each line wrapped at ``width`` columns, for messages shown on a page
    (a book's code block scrolls sideways past about 80). A wrapped line's continuation is
    indented two spaces more than the line itself; long words are never broken.

    Examples
    --------
    >>> print(wrap("wrong: it multiplies g by s(1 - s), the Jacobian's diagonal only", 30))
    wrong: it multiplies g by s(1
      - s), the Jacobian's
      diagonal only
    """
    lines = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        lines.append(textwrap.fill(line, width, subsequent_indent=indent + "  ",
                                   break_long_words=False, break_on_hyphens=False)
                     if line.strip() else line)
    return "\n".join(lines)


class WrappedRepr:
    """A mixin: the ``repr`` (and ``str``) of an object with a ``message`` is that message
    wrapped to fit a page by :func:`wrap`; ``.message`` stays the one-line text.

    A dataclass that uses it says ``repr=False``, or its generated ``repr`` would win.

    Examples
    --------
    >>> class Note(WrappedRepr):
    ...     message = "a short note"
    >>> Note()
    a short note
    """

    message: str

    def __repr__(self) -> str:
        return wrap(self.message)

    __str__ = __repr__
