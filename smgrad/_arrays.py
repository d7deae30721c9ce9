"""Input checks and axis handling, in one place.

Every public function runs its inputs through :func:`as_float_array`, and handles
``axis`` through :class:`Layout`: the softmax axes are moved to the end and flattened
into one axis of length ``n``, the formula works on a 2-D ``(rows, n)`` array, and the
result is moved back. No formula is written twice for different axes. The formulas
themselves, and the runner that feeds them blocks of rows, are in ``smgrad._rows``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple, Optional, Union

import numpy as np

Axis = Union[int, Iterable[int], None]
_RaggedWarning = getattr(getattr(np, "exceptions", np), "VisibleDeprecationWarning")


def as_float_array(x: object, name: str) -> np.ndarray:
    """Return ``x`` as a floating-point numpy array.

    float16, float32 and float64 keep their dtype; integers and booleans become float64.
    Raises ``TypeError`` naming ``name`` for ``None``, strings, objects and complex numbers.
    """
    if x is None:
        raise TypeError(f"{name} is None; pass an array of real numbers")
    return read_real(x, lambda why: TypeError(_not_real_message(why, name)))


class NotReal(NamedTuple):
    """Why :func:`read_real` refused a value: it is not an array of real numbers.

    Attributes
    ----------
    array : numpy.ndarray or None
        The value as numpy made it (of a dtype that is not real), or ``None`` when numpy
        could not make it into a rectangular array.
    cause : Exception or None
        Why numpy could not, when ``array`` is ``None``.
    """

    array: Optional[np.ndarray]
    cause: Optional[BaseException] = None


def read_real(x: object, refuse: Callable[[NotReal], BaseException]) -> np.ndarray:
    """``x`` as a numpy array of floats, or the caller's error saying why not.

    The logic of :func:`as_float_array`, shared with :func:`smgrad._compare.to_array`,
    which words its errors for a learner's result.

    Parameters
    ----------
    x : object
        Anything; a numpy array is used as it is (a subclass included).
    refuse : callable
        Makes the exception to raise from a :class:`NotReal`.

    Returns
    -------
    numpy.ndarray
        float16, float32 and float64 as they are; integers and booleans as float64.

    Raises
    ------
    BaseException
        ``refuse(...)`` when ``x`` is ragged (on every numpy version) or not of a real
        dtype.
    """
    try:
        if isinstance(x, np.ndarray):
            arr = x
        else:
            with warnings.catch_warnings():  # numpy < 1.24 only warns for ragged lists
                warnings.simplefilter("error", _RaggedWarning)
                arr = np.asarray(x)
    except (ValueError, TypeError, _RaggedWarning) as exc:  # ragged nested lists
        raise refuse(NotReal(None, exc)) from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iub":
        return arr.astype(np.float64)
    raise refuse(NotReal(arr))


def _not_real_message(why: NotReal, name: str) -> str:
    """:func:`as_float_array`'s message for ``why``, naming the argument ``name``."""
    if why.array is None:
        return (f"{name} could not be made into an array ({why.cause}); pass a "
                f"rectangular array of real numbers")
    if why.array.dtype.kind == "c":
        return (f"{name} is complex ({why.array.dtype}); softmax is defined for real "
                f"numbers: pass the real part (x.real) if that is what you mean")
    return (f"{name} has dtype {why.array.dtype}, not a real number type; pass an "
            f"array of floats or integers")


def float_pair(a: object, b: object, name_a: str, name_b: str
               ) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` as float arrays of one shape (:func:`as_float_array`,
    :func:`same_shape`).

    Parameters
    ----------
    a, b : array_like
        The two inputs, such as ``probs`` and ``grad_out``.
    name_a, name_b : str
        Their names, for the messages.

    Returns
    -------
    tuple of numpy.ndarray
        ``(a, b)`` as arrays.

    Raises
    ------
    TypeError
        If either is not an array of real numbers.
    ValueError
        If their shapes differ.
    """
    a = as_float_array(a, name_a)
    b = as_float_array(b, name_b)
    same_shape(a, b, name_a, name_b)
    return a, b


def normalize_axes(axis: Axis, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """Return ``axis`` as a sorted tuple of non-negative axes of an ``ndim``-d array.

    ``axis`` may be an int, a tuple of ints, or ``None`` (all axes). A 0-d array is
    treated as one class: ``axis`` -1, 0 or ``None`` give ``()``, as in PyTorch.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if _is_int(axis) else axis
    try:
        axes = tuple(axes)
    except TypeError:
        raise TypeError(f"{name} must be an int, a tuple of ints or None, "
                        f"got {type(axis).__name__}") from None
    if not all(_is_int(a) for a in axes):
        raise TypeError(f"{name} must be an int, a tuple of ints or None, got {axis!r}")
    if ndim == 0:
        if all(a in (0, -1) for a in axes):
            return ()
        raise ValueError(f"{name}={axis!r} is out of range for a 0-d input; use -1, 0 or None")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}={axis!r} is out of range for a {ndim}-d input; "
                             f"use an axis in [{-ndim}, {ndim - 1}]")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={axis!r} repeats an axis; name each axis once")
    if not out:
        raise ValueError(f"{name}=() names no axis; softmax needs at least one axis "
                         f"(use None for all axes)")
    return tuple(sorted(out))


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` naming both arguments unless ``a`` and ``b`` have one shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_b} has shape {b.shape} but {name_a} has shape {a.shape}; "
                         f"they must match (one {name_b} entry per {name_a} entry)")


def _is_int(a: object) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


@dataclass(frozen=True)
class Layout:
    """How an array of ``shape`` maps to ``(rows, n)`` with the softmax ``axes`` last.

    ``batch_shape`` is the shape of the remaining axes (in their order), ``class_shape``
    the shape of the softmax axes, and ``n`` the product of ``class_shape``.
    """

    shape: tuple[int, ...]
    axes: tuple[int, ...]

    @classmethod
    def of(cls, x: np.ndarray, axis: Axis, name: str = "axis") -> "Layout":
        return cls(tuple(x.shape), normalize_axes(axis, x.ndim, name))

    @property
    def perm(self) -> tuple[int, ...]:
        rest = tuple(i for i in range(len(self.shape)) if i not in self.axes)
        return rest + self.axes

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[i] for i in self.perm[: len(self.shape) - len(self.axes)])

    @property
    def class_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[i] for i in self.axes)

    @property
    def n(self) -> int:
        return math.prod(self.class_shape)

    @property
    def rows(self) -> int:
        return math.prod(self.batch_shape)

    def to_2d(self, a: np.ndarray) -> np.ndarray:
        """``a`` (of ``shape``) as ``(rows, n)``; a view when the axes are already last."""
        return np.transpose(a, self.perm).reshape(self.rows, self.n)

    def from_2d(self, a: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_2d`."""
        moved = a.reshape(self.batch_shape + self.class_shape)
        return np.transpose(moved, np.argsort(self.perm))

    def reduced(self, a: np.ndarray, keepdims: bool) -> np.ndarray:
        """A per-row result of shape ``(rows,)`` back in the input's shape, axes reduced."""
        out = a.reshape(self.batch_shape)
        if keepdims:
            out = np.expand_dims(out, self.axes) if self.axes else out
        return out
