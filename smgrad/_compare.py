"""Comparing a result with the right one: the tolerances, and the largest error and where.

One place for both, used by :func:`smgrad.gradcheck`, :func:`smgrad.diagnose` and
:mod:`smgrad.feedback`.

Tolerances follow the precision of the result being judged. float64 (and anything that is
not a lower-precision float) is judged with ``rtol=1e-5, atol=1e-8``, gradcheck's and
``np.allclose``'s defaults; a float32 or float16 result is judged at about 16 units in
its last place, never tighter than float64's tolerance. A right rule computed in float32
(PyTorch's default) differs from the float64 answer by a few float32 roundings, about
1e-7 of its size; a wrong rule differs by a sizeable fraction of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from ._arrays import NotReal, read_real


#: ``(rtol, atol)`` for results of float64 precision.
RTOL, ATOL = 1e-5, 1e-8
_ULPS = 16
_KINDS = {"U": "text", "S": "bytes", "O": "Python objects", "M": "dates", "m": "times",
          "V": "records"}


def tolerance(dtype: object) -> tuple[float, float]:
    """``(rtol, atol)`` for judging a result of ``dtype``.

    >>> import numpy as np
    >>> tolerance(np.float64)
    (1e-05, 1e-08)
    >>> [f"{t:.2g}" for t in tolerance(np.float32)]
    ['1e-05', '1.9e-06']
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return RTOL, ATOL
    eps = float(np.finfo(dtype).eps)
    return max(RTOL, _ULPS * eps), max(ATOL, _ULPS * eps)


def least_precise(*dtypes: object) -> np.dtype:
    """The float dtype with the largest machine epsilon among ``dtypes`` (float64 if
    none is a float): the precision two results can be compared at.

    >>> least_precise(np.float64, np.float32)
    dtype('float32')
    """
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == "f"]
    if not floats:
        return np.dtype(np.float64)
    return max(floats, key=lambda d: float(np.finfo(d).eps))


def precision_of(values: np.ndarray) -> np.dtype:
    """The precision ``values`` were computed at: their dtype, except that float64
    values which are all exactly float32 numbers (a PyTorch float32 tensor's
    ``.tolist()``, say) count as float32. An array with no non-zero finite entry keeps
    its dtype.

    >>> import numpy as np
    >>> precision_of(np.array([0.1, 0.2]))
    dtype('float64')
    >>> precision_of(np.array(np.array([0.1, 0.2], np.float32).tolist()))
    dtype('float32')
    """
    values = np.asarray(values)
    if (values.dtype != np.float64 or not values.size or not np.all(np.isfinite(values))
            or not np.any(values)):
        return values.dtype
    with np.errstate(over="ignore"):
        narrow = values.astype(np.float32).astype(np.float64)
    return np.dtype(np.float32) if np.array_equal(narrow, values) else values.dtype


@dataclass(frozen=True)
class LargestError:
    """Whether two results agree (``ok``), their largest absolute and relative errors, and
    ``where``, the index of the largest absolute error: the fields that
    :class:`Comparison` and :class:`smgrad.GradcheckResult` begin with."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    where: tuple


@dataclass(frozen=True)
class Comparison(LargestError):
    """The outcome of :func:`compare`: ``ok`` and the largest errors and where.

    ``where`` is the index of the largest absolute error (``()`` for empty arrays);
    ``expected`` and ``actual`` are the values there (NaN for empty arrays).
    """

    expected: float
    actual: float
    first_wrong: tuple
    wrong_count: int


def compare(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL,
            atol: float = ATOL, equal_nan: bool = False) -> Comparison:
    """Compare two float64 arrays of one shape, as ``np.allclose(actual, expected, rtol,
    atol, equal_nan)`` does, and say where they differ most.

    ``max_rel_error`` is relative to ``|expected|`` (its smallest positive value where
    ``expected`` is 0); ``first_wrong`` is the first index (C order) outside the
    tolerance, ``()`` when there is none; ``wrong_count`` counts such entries.

    >>> import numpy as np
    >>> c = compare(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> c.ok, c.where, c.max_abs_error, c.first_wrong, c.wrong_count
    (False, (1, 1), 1.0, (1, 1), 1)
    >>> compare(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), equal_nan=True).ok
    True
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"cannot compare shape {actual.shape} with {expected.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.abs(actual - expected)
        rel_err = abs_err / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
        close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    worst = np.unravel_index(np.argmax(abs_err), actual.shape) if actual.size else ()
    wrong = np.flatnonzero(~close)
    first = np.unravel_index(int(wrong[0]), actual.shape) if wrong.size else ()
    return Comparison(
        ok=bool(close.all()),
        max_abs_error=float(abs_err.max(initial=0.0)),
        max_rel_error=float(rel_err.max(initial=0.0)),
        where=tuple(int(i) for i in worst),
        expected=float(expected[worst]) if actual.size else float("nan"),
        actual=float(actual[worst]) if actual.size else float("nan"),
        first_wrong=tuple(int(i) for i in first),
        wrong_count=int(wrong.size),
    )


class NotAnArray(TypeError):
    """What a learner's function returned cannot be read as an array of real numbers."""


def to_array(value: object) -> np.ndarray:
    """A learner's result as a numpy array of floats, keeping float16/32/64.

    Accepts arrays, nested lists, numbers and PyTorch tensors (detached); integers and
    booleans become float64. Raises :class:`NotAnArray` (a ``TypeError``) saying what
    was returned otherwise, and ``TypeError`` for ``None``.

    >>> to_array([[1, 2]]).dtype
    dtype('float64')
    >>> to_array(np.ones(2, np.float32)).dtype
    dtype('float32')
    """
    if value is None:
        raise TypeError("returned None: is a `return` missing?")
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    plain = np.asarray(value) if isinstance(value, np.ndarray) else value  # no subclass
    return read_real(plain, lambda why: NotAnArray(_not_numbers(value, why)))


def _not_numbers(value: object, why: NotReal) -> str:
    """:func:`to_array`'s message for ``value``, which :func:`read_real` refused."""
    arr = why.array
    if arr is None:
        return (f"returned a {type(value).__name__} that is not a rectangular array of "
                f"numbers ({why.cause})")
    if arr.dtype.kind == "c":
        return f"returned complex numbers ({arr.dtype}); a gradient of a real loss is real"
    if arr.ndim == 0:
        return f"returned {kind_of(value)}, not numbers"
    return (f"returned a {type(value).__name__} of "
            f"{_KINDS.get(arr.dtype.kind, arr.dtype.name)}, not numbers")


def kind_of(value: object) -> str:
    """What a value is, in words, for a message: ``"an array of shape (3,) (float32)"``.

    >>> kind_of(np.zeros((2, 3)))
    'an array of shape (2, 3) (float64)'
    >>> kind_of("abc")
    'a str'
    """
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    if value is None:
        return "None"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (list, tuple)):
        try:
            return f"a {name} of shape {to_array(value).shape}"
        except TypeError:
            pass
    return f"{article} {name}"


# --- what a wrong result's values say about the mistake ---------------------------------

@dataclass(frozen=True)
class Difference:
    """How a wrong result differs from the right one, in plain words (:func:`describe`).

    ``kind`` is ``"sign"``, ``"factor"``, ``"transpose"``, ``"axes"``, ``"shift"``,
    ``"not finite"`` or ``"values"``; ``factor`` names the constant (``"N (the batch
    size)"``) when ``kind == "factor"``; ``where`` is a 0-based index (``()`` when it
    does not apply); ``message`` never holds an expected value.
    """

    kind: str
    message: str
    factor: Optional[str] = None
    where: tuple = ()


def _same(actual: np.ndarray, other: np.ndarray, rtol: float, atol: float) -> bool:
    with np.errstate(all="ignore"):
        return (other.shape == actual.shape
                and bool(np.all(np.isfinite(other)))
                and bool(np.allclose(actual, other, rtol=rtol, atol=atol)))


def _ratio(actual: np.ndarray, expected: np.ndarray) -> Optional[float]:
    """The constant ``r`` with ``actual ≈ r * expected``, read off the largest entry."""
    if not expected.size or not np.any(expected):
        return None
    big = np.unravel_index(int(np.argmax(np.abs(expected))), expected.shape)
    with np.errstate(all="ignore"):
        ratio = float(actual[big] / expected[big])
    return ratio if np.isfinite(ratio) and ratio not in (0.0, 1.0) else None


def _factor_words(ratio: float, factors: Mapping[str, float]) -> tuple[Optional[str], str]:
    """``(name, words)`` for a constant factor ``ratio``: which named factor it is."""
    sign = " and the sign is flipped" if ratio < 0 else ""
    size = abs(ratio)
    for name, value in factors.items():
        if value in (0, 1, -1):
            continue
        if np.isclose(size, abs(value), rtol=1e-3):
            return name, f"a constant factor: every entry is {name} times too large{sign}"
        if np.isclose(size, 1 / abs(value), rtol=1e-3):
            return name, f"a constant factor: every entry is {name} times too small{sign}"
    return None, f"a constant factor: every entry is off by the same factor{sign}"


def _axis_pairs(shape: tuple) -> list[tuple[int, int]]:
    return [(a, b) for a in range(len(shape)) for b in range(a + 1, len(shape))
            if shape[a] == shape[b] and shape[a] > 1]


def describe(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL,
             atol: float = ATOL, factors: Optional[Mapping[str, float]] = None
             ) -> Difference:
    """Say how ``actual`` differs from ``expected`` (same shape, not close): a flipped
    sign, a constant factor (named from ``factors``, ``{"N (the batch size)": 3}``), a
    transpose of the last two axes, two other axes swapped, an index off by one along an
    axis, entries that are not finite, or else how many entries are wrong and the first.
    Indices count from 0. The message never holds an expected value.

    >>> import numpy as np
    >>> e = np.array([[1.0, -2.0], [3.0, 4.0]])
    >>> describe(-e, e).message
    'the sign is flipped: every entry is the negative of what it should be'
    >>> d = describe(e / 2, e, factors={"N (the batch size)": 2})
    >>> d.kind, d.factor
    ('factor', 'N (the batch size)')
    >>> print(d.message)
    a constant factor: every entry is N (the batch size) times too small
    >>> describe(e.T, e).kind
    'transpose'
    >>> print(describe(np.roll(e, 1, axis=1), e).message)
    an index is off by one along axis 1: each entry holds its neighbour's value
    >>> describe(e + [[0, 0], [0, 1]], e).message
    '1 of 4 entries are wrong, the first at index (1, 1) (indices count from 0)'
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(actual)):
        flat = int(np.flatnonzero(~np.isfinite(actual))[0])
        where = tuple(int(i) for i in np.unravel_index(flat, actual.shape))
        at = f" at index {where}" if actual.ndim else ""
        count = int(np.sum(~np.isfinite(actual)))
        return Difference("not finite", f"it holds {actual[where]}{at} ({count} of "
                                        f"{actual.size} entries are not finite)",
                          where=where)
    same = lambda other: _same(actual, other, rtol, atol)  # noqa: E731
    if np.any(expected) and same(-expected):
        return Difference("sign", "the sign is flipped: every entry is the negative of "
                                  "what it should be")
    ratio = _ratio(actual, expected)
    if ratio is not None and same(ratio * expected):
        name, words = _factor_words(ratio, factors or {})
        if name is not None or actual.size > 1:  # a lone number is a multiple of any
            return Difference("factor", words, factor=name)
    if actual.ndim >= 2 and same(np.swapaxes(expected, -1, -2)):
        return Difference("transpose", "the last two axes are swapped (a transpose): "
                                       "entry (i, j) holds entry (j, i)")
    for a, b in _axis_pairs(actual.shape):
        if same(np.swapaxes(expected, a, b)):
            return Difference("axes", f"axes {a} and {b} are swapped")
    for axis in range(actual.ndim):
        for step in (1, -1):
            if actual.shape[axis] > 1 and same(np.roll(expected, step, axis=axis)):
                return Difference("shift", f"an index is off by one along axis {axis}: "
                                           f"each entry holds its neighbour's value")
    found = compare(actual, expected, rtol, atol)
    if actual.ndim == 0:
        return Difference("values", "wrong value")
    return Difference("values", f"{found.wrong_count} of {actual.size} entries are "
                                f"wrong, the first at index {found.first_wrong} (indices "
                                f"count from 0)", where=found.first_wrong)
