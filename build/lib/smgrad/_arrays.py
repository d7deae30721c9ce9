"""Input checks, axis handling and blocks of rows, in one place.

Every public function runs its inputs through :func:`as_float_array`, and handles
``axis`` through :class:`Layout`: the softmax axes are moved to the end and flattened
into one axis of length ``n``, the formula works on a 2-D ``(rows, n)`` array, and the
result is moved back. No formula is written twice for different axes. The formulas
themselves (``smgrad._rows``) run through :func:`rowwise`, one block of rows at a time.
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


#: Rows are processed in blocks of about this many entries (16 MiB of float32) by default:
#: the several passes of a row formula (max, subtract, exp, sum, ...) then reread a block
#: from cache, not memory, and the temporaries some formulas need stay block-sized, while
#: numpy's per-call overhead (a few calls per pass) is paid once per block. Measured on the
#: project's machine kind (Xeon, 2 MiB of L2 per core, 260 MiB of shared L3; float32
#: (4096, 1000), one thread; ``benchmarks/bench_softmax.py --block-sweep``): blocks of
#: 2**22 make the softmax about 20% faster than blocks of 2**17 (the earlier default),
#: and the VJP about 10% (blocks of 2**14 to 2**16 are as fast for the VJP, slower for the
#: softmax); on 32768 x 1000 arrays every size from 2**15 to 2**27 is within a few percent.
#: :func:`rowwise` takes another size as ``block_elems``.
BLOCK_ELEMS = 1 << 22


def special_values_quietly() -> np.errstate:
    """The floating-point events that the row formulas produce on purpose, silenced.

    NaN only where documented (all ``-inf`` rows, ``+inf`` or NaN input); ``log 0 = -inf``
    for an all ``-inf`` row's ``logsumexp``; ``x - max`` overflowing to ``-inf`` for
    logits near the float limit, whose ``exp`` is then exactly 0.
    """
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def compute_dtype(*dtypes: np.dtype) -> np.dtype:
    """The common float dtype of ``dtypes``, with float16 raised to float32 for the sums."""
    dtype = np.result_type(*dtypes)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def rowwise(kernel, *arrays: np.ndarray, width: Optional[int] = None,
            block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """Apply ``kernel(*blocks, out=out_block)`` to blocks of rows of 2-D ``arrays``.

    All ``arrays`` have shape ``(rows, n)``; each block holds about ``block_elems``
    entries of each (at least one row). The result has shape ``(rows, width)`` (``width``
    defaults to ``n``; 1 for one value per row) and the arrays' common dtype (float16 in,
    float16 out, computed in float32). The kernel also runs on rows of length 0.
    """
    if block_elems < 1:
        raise ValueError(f"block_elems={block_elems!r} must be a positive number of entries")
    dtype = compute_dtype(*(a.dtype for a in arrays))
    work = [a.astype(dtype, copy=False) for a in arrays]
    rows, n = work[0].shape
    out = np.empty((rows, n if width is None else width), dtype=dtype)
    step = max(1, block_elems // max(n, 1))
    with special_values_quietly():
        for start in range(0, rows, step):
            kernel(*(w[start:start + step] for w in work), out=out[start:start + step])
    return out.astype(np.result_type(*arrays), copy=False)


def row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σ_j a_ij b_ij`` for each row ``i`` of 2-D ``a``, as a ``(rows, 1)`` column.

    ``b`` has ``a``'s shape, or is one row ``(n,)`` used for every row (ones: row sums).
    Rounding: about 2 ulps on rows of up to 10⁴ entries (numpy's pairwise ``sum``: about
    1); on rows of 10⁶ float32 entries about 1e-6 relative (pairwise: about 1e-7).
    """
    # A stack of (1 × n) @ (n × 1) products: numpy hands each row to BLAS's dot, 2-3× faster
    # than (a * b).sum(axis=1) on a block in cache, and without its (rows, n) temporary.
    return np.matmul(a[:, None, :], b[..., :, None])[:, 0]
