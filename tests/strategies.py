"""Hypothesis strategies: logits of every shape (0-d to 4-d), dtype (float32, float64)
and axis (int, negative int, tuple, None), with -inf masks that never cover a whole row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from oracles import from_rows, normalized_axes, to_rows

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def floats(dtype: np.dtype, bound: float) -> st.SearchStrategy[float]:
    width = 32 if np.dtype(dtype) == np.float32 else 64
    return st.floats(-bound, bound, width=width, allow_subnormal=False)


def logit_values(dtype: np.dtype, extreme: bool = True) -> st.SearchStrategy[float]:
    """Moderate logits, and (if ``extreme``) logits up to ±1e4, where a naive
    ``exp`` overflows in both float32 and float64."""
    moderate = floats(dtype, 10.0)
    return st.one_of(moderate, floats(dtype, 1e4)) if extreme else moderate


def axis_for(ndim: int, kind: str = "any") -> st.SearchStrategy:
    """An ``axis`` argument for an ``ndim``-d array. ``kind``: ``"int"`` (any valid int,
    negative ones too), or ``"any"`` (also tuples in any order with negative entries,
    and ``None``)."""
    if ndim == 0:
        ints = st.sampled_from([0, -1])
        tuples = st.sampled_from([(0,), (-1,)])
    else:
        ints = st.integers(-ndim, ndim - 1)
        tuples = st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                          unique_by=lambda a: a % ndim).map(tuple)
    if kind == "int":
        return ints
    return st.one_of(ints, tuples, st.none())


def unmask_one_per_row(mask: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``mask`` with the first entry of each fully masked row unmasked."""
    if mask.ndim == 0:
        return np.asarray(False)
    rows = to_rows(mask, axes).copy()
    if rows.shape[1]:
        rows[rows.all(axis=1), 0] = False
    return from_rows(rows, mask.shape, axes)


@dataclass
class Case:
    x: np.ndarray        # logits
    axis: object         # as passed to smgrad
    axes: tuple          # the same, normalized: sorted non-negative ints

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def n(self) -> int:
        return math.prod(self.x.shape[i] for i in self.axes)


@st.composite
def cases(draw, axis_kind: str = "any", min_dims: int = 0, max_dims: int = 4,
          max_side: int = 4, dtype: Optional[np.dtype] = None, masks: bool = True,
          extreme: bool = True) -> Case:
    """Logits and an axis. With ``masks``, some entries may be ``-inf``, never a whole
    row (that case has its own test)."""
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else np.dtype(dtype)
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                                  max_side=max_side))
    axis = draw(axis_for(len(shape), axis_kind))
    axes = normalized_axes(axis, len(shape))
    x = draw(hnp.arrays(dtype, shape, elements=logit_values(dtype, extreme)))
    if masks and draw(st.booleans()):
        mask = unmask_one_per_row(draw(hnp.arrays(np.bool_, shape)), axes)
        x = np.where(mask, dtype.type(-np.inf), x).astype(dtype)
    return Case(x, axis, axes)


def like(x: np.ndarray, bound: float = 10.0) -> st.SearchStrategy[np.ndarray]:
    """An array of ``x``'s shape and dtype with entries in ``[-bound, bound]`` (an upstream
    gradient or a tangent)."""
    return hnp.arrays(x.dtype, x.shape, elements=floats(x.dtype, bound))
