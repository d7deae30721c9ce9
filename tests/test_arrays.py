"""smgrad._arrays (input checks, axis handling) and the errors every
public function gives for bad input: the right exception type, and a message that names
the argument."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given

import smgrad
from oracles import from_rows, normalized_axes, to_rows
from smgrad._arrays import Layout, as_float_array, normalize_axes, same_shape
from strategies import cases

# --- as_float_array ---------------------------------------------------------------------

@pytest.mark.parametrize("value, dtype", [
    (np.zeros(3, np.float16), np.float16),
    (np.zeros(3, np.float32), np.float32),
    (np.zeros(3, np.float64), np.float64),
    (np.zeros(3, np.int8), np.float64),
    (np.zeros(3, np.int64), np.float64),
    (np.zeros(3, np.uint32), np.float64),
    (np.zeros(3, bool), np.float64),
    ([1, 2, 3], np.float64),
    ([1.5, 2.0], np.float64),
    (3, np.float64),
    (2.5, np.float64),
])
def test_as_float_array_dtypes(value, dtype):
    arr = as_float_array(value, "x")
    assert arr.dtype == dtype
    np.testing.assert_array_equal(arr, np.asarray(value, dtype=np.float64))


def test_as_float_array_keeps_float_input_without_copy():
    x = np.ones((2, 3), np.float32)
    assert as_float_array(x, "x") is x


@pytest.mark.parametrize("value, words", [
    (None, ["probs", "None"]),
    ("abc", ["probs", "dtype"]),
    (np.array([1, "a"], dtype=object), ["probs", "object"]),
    (np.array([1 + 2j]), ["probs", "complex", "real"]),
    ([[1.0, 2.0], [3.0]], ["probs", "rectangular"]),
])
def test_as_float_array_rejects_with_the_name(value, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # numpy 1.x warns about ragged lists: not here
        with pytest.raises(TypeError) as info:
            as_float_array(value, "probs")
    for word in words:
        assert word in str(info.value)


# --- normalize_axes ---------------------------------------------------------------------

@pytest.mark.parametrize("axis, ndim, expected", [
    (-1, 3, (2,)), (0, 3, (0,)), (-3, 3, (0,)), (np.int64(1), 3, (1,)),
    ((2, 0), 3, (0, 2)), ((-1, 0), 3, (0, 2)), ([1], 2, (1,)), (None, 3, (0, 1, 2)),
    (None, 0, ()), (0, 0, ()), (-1, 0, ()), ((0,), 0, ()),
])
def test_normalize_axes(axis, ndim, expected):
    assert normalize_axes(axis, ndim) == expected


@given(cases())
def test_layout_matches_transpose_and_reshape(case):
    """Layout's (rows, n) view is the batch axes in order, then the softmax axes in
    increasing order, flattened; from_2d undoes it."""
    layout = Layout.of(case.x, case.axis)
    expected = to_rows(case.x, case.axes)
    np.testing.assert_array_equal(layout.to_2d(case.x), expected)
    np.testing.assert_array_equal(layout.from_2d(expected), case.x)
    np.testing.assert_array_equal(from_rows(expected, case.x.shape, case.axes), case.x)
    assert layout.axes == normalized_axes(case.axis, case.x.ndim)
    assert (layout.rows, layout.n) == expected.shape


def test_same_shape_names_both():
    same_shape(np.zeros(3), np.zeros(3), "probs", "grad_out")
    with pytest.raises(ValueError, match=r"grad_out has shape \(4,\) but probs has shape \(3,\)"):
        same_shape(np.zeros(3), np.zeros(4), "probs", "grad_out")


# --- the table of bad inputs, for every public function ---------------------------------

X = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])       # (2, 3)
P = np.full((2, 3), 1 / 3)
T = np.array([2, 0])

BAD_INPUTS = [
    # (id, call, exception, the argument its message must name)
    ("string x", lambda: smgrad.softmax("abc"), TypeError, "x"),
    ("object x", lambda: smgrad.log_softmax(np.array([1, None], dtype=object)), TypeError, "x"),
    ("complex x", lambda: smgrad.logsumexp(np.array([1 + 1j, 2])), TypeError, "x"),
    ("ragged x", lambda: smgrad.softmax([[1.0, 2.0], [3.0]]), TypeError, "x"),
    ("None x", lambda: smgrad.softmax(None), TypeError, "x"),
    ("None probs", lambda: smgrad.softmax_vjp(None, P), TypeError, "probs"),
    ("string probs", lambda: smgrad.softmax_jacobian("s"), TypeError, "probs"),
    ("complex grad_out", lambda: smgrad.softmax_vjp(P, P + 1j), TypeError, "grad_out"),
    ("None tangent", lambda: smgrad.softmax_jvp(P, None), TypeError, "tangent"),
    ("string logits", lambda: smgrad.cross_entropy("x", T), TypeError, "logits"),
    ("ragged logits", lambda: smgrad.cross_entropy_grad([[1.0], [1.0, 2.0]], T), TypeError,
     "logits"),
    ("axis out of range", lambda: smgrad.softmax(X, axis=2), ValueError, "axis"),
    ("negative axis out of range", lambda: smgrad.log_softmax(X, axis=-3), ValueError, "axis"),
    ("axis out of range, 0-d", lambda: smgrad.softmax(1.0, axis=1), ValueError, "axis"),
    ("tuple axis out of range", lambda: smgrad.logsumexp(X, axis=(0, 5)), ValueError, "axis"),
    ("repeated axis", lambda: smgrad.softmax(X, axis=(1, 1)), ValueError, "axis"),
    ("repeated axis, negative", lambda: smgrad.softmax_vjp(P, P, axis=(0, -2)), ValueError,
     "axis"),
    ("empty axis tuple", lambda: smgrad.softmax(X, axis=()), ValueError, "axis"),
    ("float axis", lambda: smgrad.softmax(X, axis=1.0), TypeError, "axis"),
    ("string axis", lambda: smgrad.softmax(X, axis="1"), TypeError, "axis"),
    ("bool axis", lambda: smgrad.softmax(X, axis=True), TypeError, "axis"),
    ("float in axis tuple", lambda: smgrad.softmax_jacobian(P, axis=(0, 1.0)), TypeError,
     "axis"),
    ("grad_out of another shape", lambda: smgrad.softmax_vjp(P, np.ones((3, 2))), ValueError,
     "grad_out"),
    ("grad_out broadcastable but not equal",
     lambda: smgrad.log_softmax_vjp(P, np.ones(3)), ValueError, "grad_out"),
    ("tangent of another shape", lambda: smgrad.softmax_jvp(P, np.ones((2, 4))), ValueError,
     "tangent"),
    ("target index too large", lambda: smgrad.cross_entropy(X, np.array([3, 0])), ValueError,
     "targets"),
    ("negative target index", lambda: smgrad.cross_entropy_grad(X, np.array([-1, 0])),
     ValueError, "targets"),
    ("index targets of wrong shape", lambda: smgrad.cross_entropy(X, np.array([0, 1, 2])),
     ValueError, "targets"),
    ("index targets with the class axis", lambda: smgrad.cross_entropy(X, np.zeros((2, 3), int)),
     ValueError, "targets"),
    ("probability targets of wrong shape", lambda: smgrad.cross_entropy(X, np.ones((2, 4)) / 4),
     ValueError, "targets"),
    ("bool targets", lambda: smgrad.cross_entropy(X, np.array([True, False])), TypeError,
     "targets"),
    ("None targets", lambda: smgrad.cross_entropy_grad(X, None), TypeError, "targets"),
    ("string targets", lambda: smgrad.cross_entropy(X, np.array(["a", "b"])), TypeError,
     "targets"),
    ("complex targets", lambda: smgrad.cross_entropy(X, X + 0j), TypeError, "targets"),
    ("bad reduction", lambda: smgrad.cross_entropy(X, T, reduction="avg"), ValueError,
     "reduction"),
    ("None reduction", lambda: smgrad.cross_entropy_grad(X, T, reduction=None), ValueError,
     "reduction"),
    ("tuple axis with index targets", lambda: smgrad.cross_entropy(X, T, axis=(0, 1)),
     ValueError, "axis"),
    ("None axis with index targets", lambda: smgrad.cross_entropy_grad(X, np.array(0), axis=None),
     ValueError, "axis"),
    ("index targets for 0-d logits", lambda: smgrad.cross_entropy(1.0, np.array(0)), ValueError,
     "axis"),
    ("grad_out per row with mean", lambda: smgrad.cross_entropy_grad(X, T, grad_out=np.ones(2)),
     ValueError, "grad_out"),
    ("scalar grad_out with none",
     lambda: smgrad.cross_entropy_grad(X, T, reduction="none", grad_out=1.0), ValueError,
     "grad_out"),
    ("full Jacobian too large", lambda: smgrad.softmax_jacobian(np.ones((9000, 1)), full=True),
     ValueError, "probs"),
    ("numerical_jacobian of a string", lambda: smgrad.numerical_jacobian(np.sin, "x"),
     TypeError, "x"),
    ("gradcheck grad_out shape",
     lambda: smgrad.gradcheck(np.sin, lambda z, g: g, np.zeros(3), grad_out=np.zeros(2)),
     ValueError, "grad_out"),
]


@pytest.mark.parametrize("call, exception, name", [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_and_names_the_argument(call, exception, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # a clear exception, not a warning first
        with pytest.raises(exception, match=rf"\b{name}\b"):
            call()


def test_bad_reduction_message_lists_the_choices():
    with pytest.raises(ValueError) as info:
        smgrad.cross_entropy(X, T, reduction="avg")
    assert all(word in str(info.value) for word in ("mean", "sum", "none"))


def test_target_range_message_gives_the_range():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        smgrad.cross_entropy(X, np.array([3, 0]))
