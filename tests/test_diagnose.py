"""smgrad.diagnose: every known mistake is named, right rules (written several ways) are
accepted, other wrong code is 'unknown' with a useful message, the probes tell every
pair of mistakes apart, the learner's code cannot corrupt the probes, and nothing it
raises escapes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import smgrad
from oracles import tolerance
from smgrad import mistakes
from smgrad.diagnose import _probes
from smgrad.frameworks import torch_softmax_vjp


# --- right rules, written in different ways ---------------------------------------------

def via_full_jacobian(probs, grad_out):
    """gᵀJ with J = diag(s) - s sᵀ built for every row (O(n²), but right)."""
    jac = np.stack([np.diag(row) - np.outer(row, row) for row in probs])
    return np.einsum("bi,bij->bj", grad_out, jac)


def row_by_row(probs, grad_out):
    out = np.empty_like(probs)
    for b in range(probs.shape[0]):
        s, g = probs[b], grad_out[b]
        out[b] = s * g - s * np.dot(s, g)
    return out


def in_place(probs, grad_out):
    """Writes into its arguments: diagnose passes copies, so this is fine."""
    grad_out -= (grad_out * probs).sum(axis=-1, keepdims=True)
    grad_out *= probs
    return grad_out


def through_torch(probs, grad_out):
    """PyTorch's autograd on logits log(s) (softmax(log s) = s)."""
    return torch_softmax_vjp(np.log(probs), grad_out)


def as_nested_list(probs, grad_out):
    return (probs * (grad_out - (grad_out * probs).sum(axis=1, keepdims=True))).tolist()


CORRECT = [smgrad.softmax_vjp, via_full_jacobian, row_by_row, in_place, through_torch,
           as_nested_list]


@pytest.mark.parametrize("backward", CORRECT, ids=lambda f: f.__name__)
def test_right_rules_are_accepted(backward):
    result = smgrad.diagnose(backward)
    assert result.ok, result.message
    assert result.mistake is None
    assert result.message.startswith("correct")
    assert repr(result) == str(result) == result.message


# --- the known mistakes -----------------------------------------------------------------

EXPECTED_NAMES = {
    mistakes.diagonal_only: "diagonal_only",
    # The element-wise chain rule g ⊙ ∂s/∂x (diagonal) is the same computation.
    mistakes.elementwise_chain_rule: "diagonal_only",
    mistakes.summed_jacobian_rows: "summed_jacobian_rows",
    mistakes.flattened_batch_jacobian: "flattened_batch_jacobian",
    mistakes.identity_sized_by_batch: "identity_sized_by_batch",
}


@pytest.mark.parametrize("backward", list(EXPECTED_NAMES), ids=lambda f: f.__name__)
def test_every_mistake_is_named(backward):
    result = smgrad.diagnose(backward)
    assert not result.ok
    assert result.mistake == EXPECTED_NAMES[backward]
    assert f"'{EXPECTED_NAMES[backward]}'" in result.message
    assert "Fix:" in result.message and "s * (g - (g * s).sum(" in result.message


def test_elementwise_chain_rule_is_diagnosed_as_diagonal_only():
    result = smgrad.diagnose(mistakes.elementwise_chain_rule)
    assert result.mistake == "diagonal_only"
    assert "element-wise chain rule" in result.message


def test_every_known_mistake_in_the_table_is_diagnosed_as_itself():
    for mistake in mistakes.KNOWN_MISTAKES:
        assert smgrad.diagnose(mistake.backward).mistake == mistake.name


def test_learner_style_mistakes_are_named():
    """The mistakes as a learner writes them, not smgrad's functions."""
    def learner_diagonal(s, g):
        return g * s * (1 - s)

    def learner_eye_batch(s, g):
        return s * (np.eye(s.shape[0]) - s) * g

    def learner_zeros(s, g):           # the summed Jacobian rows, computed as zeros
        return np.zeros_like(s) * g

    assert smgrad.diagnose(learner_diagonal).mistake == "diagonal_only"
    assert smgrad.diagnose(learner_eye_batch).mistake == "identity_sized_by_batch"
    assert smgrad.diagnose(learner_zeros).mistake == "summed_jacobian_rows"


# --- other wrong code: 'unknown', with a message that says what happened ----------------

def returns_grad_out(probs, grad_out):
    return grad_out


def inner_product_without_s(probs, grad_out):
    return probs * (grad_out - grad_out.sum(axis=1, keepdims=True))


def sum_over_the_batch_axis(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(axis=0, keepdims=True))


def sign_flipped(probs, grad_out):
    return -smgrad.softmax_vjp(probs, grad_out)


def forgot_the_outer_s(probs, grad_out):
    return grad_out - (grad_out * probs).sum(axis=1, keepdims=True)


def nan_everywhere(probs, grad_out):
    return np.full_like(probs, np.nan)


@pytest.mark.parametrize("backward", [returns_grad_out, inner_product_without_s,
                                      sum_over_the_batch_axis, sign_flipped,
                                      forgot_the_outer_s, nan_everywhere],
                         ids=lambda f: f.__name__)
def test_other_wrong_values_are_unknown_with_largest_error(backward):
    result = smgrad.diagnose(backward)
    assert not result.ok and result.mistake == "unknown"
    assert "not on the list of known mistakes" in result.message
    assert "largest error" in result.message and "expected" in result.message
    assert "Fix:" in result.message


def test_a_raising_backward_is_reported_not_raised():
    def todo(probs, grad_out):
        raise NotImplementedError("write the backward here")

    result = smgrad.diagnose(todo)
    assert result.mistake == "unknown"
    assert "raised NotImplementedError: write the backward here" in result.message


@pytest.mark.parametrize("exc", [ValueError("bad"), ZeroDivisionError("division by zero"),
                                 KeyError("k"), AssertionError("no"), IndexError("i"),
                                 RuntimeError("r"), type("LearnerError", (Exception,), {})()],
                         ids=lambda e: type(e).__name__)
def test_no_exception_propagates(exc):
    def raises(probs, grad_out):
        raise exc

    result = smgrad.diagnose(raises)
    assert result.mistake == "unknown" and type(exc).__name__ in result.message


def test_a_wrong_signature_is_reported():
    result = smgrad.diagnose(lambda probs: probs)
    assert result.mistake == "unknown" and "TypeError" in result.message


def test_wrong_shape_is_reported_with_both_shapes():
    def per_row(probs, grad_out):
        return (probs * grad_out).sum(axis=1)

    result = smgrad.diagnose(per_row)
    assert result.mistake == "unknown"
    assert "returned shape (3,), expected (3, 5)" in result.message


def test_a_list_wrapped_result_is_reported_with_its_shape():
    """The homework's backward returns a list of gradients; as a softmax backward that
    is an array of the wrong shape."""
    def list_of_one(probs, grad_out):
        return [smgrad.softmax_vjp(probs, grad_out)]

    result = smgrad.diagnose(list_of_one)
    assert result.mistake == "unknown"
    assert "returned shape (1, 3, 5), expected (3, 5)" in result.message


def test_a_list_of_strings_is_reported():
    result = smgrad.diagnose(lambda probs, grad_out: ["a", "b"])
    assert result.mistake == "unknown" and "ValueError" in result.message


def test_a_missing_return_is_reported():
    def no_return(probs, grad_out):
        grad_out -= (grad_out * probs).sum(axis=1, keepdims=True)
        grad_out *= probs

    result = smgrad.diagnose(no_return)
    assert result.mistake == "unknown"
    assert "returned None" in result.message and "return" in result.message


@pytest.mark.parametrize("not_a_function", [None, np.zeros((3, 5)), "softmax_vjp"])
def test_diagnose_needs_a_function(not_a_function):
    """Passing the result instead of the function is a usage error, named as such."""
    with pytest.raises(TypeError, match=r"\bbackward\b.*not a function"):
        smgrad.diagnose(not_a_function)


# --- the probes -------------------------------------------------------------------------

def outcome(backward, probs, grad_out):
    try:
        return np.asarray(backward(probs.copy(), grad_out.copy()), dtype=np.float64)
    except Exception as exc:
        return exc


def clearly_different(a, b) -> bool:
    """One raised and the other did not, the shapes differ, or some entry differs by far
    more than diagnose's tolerance (1e-5 relative, 1e-8 absolute)."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return isinstance(a, Exception) != isinstance(b, Exception)
    return a.shape != b.shape or float(np.max(np.abs(a - b))) > 1e-3


RULES = [smgrad.softmax_vjp] + [m.backward for m in mistakes.KNOWN_MISTAKES]


@pytest.mark.parametrize("first, second", list(itertools.combinations(RULES, 2)),
                         ids=lambda f: f.__name__)
def test_probes_distinguish_every_pair(first, second):
    """For every pair of rules (the right one and each known mistake) some probe gives
    clearly different outcomes, so no rule can be mistaken for another."""
    probes = _probes()
    assert any(clearly_different(outcome(first, *args), outcome(second, *args))
               for args in probes.values())


def test_probes_are_valid_softmax_outputs():
    for probs, grad_out in _probes().values():
        assert probs.dtype == grad_out.dtype == np.float64
        assert probs.shape == grad_out.shape and probs.ndim == 2
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, **tolerance(np.float64))
        assert np.all(probs > 0)
    shapes = {probs.shape for probs, _ in _probes().values()}
    assert any(b != n for b, n in shapes) and any(b == n for b, n in shapes)


def test_learner_cannot_corrupt_the_probes():
    """A backward that wrecks its arguments after use: every call still receives the
    probe's original arrays (fresh copies), so the verdict is unaffected."""
    received = []

    def vandal(probs, grad_out):
        received.append((probs.copy(), grad_out.copy()))
        result = smgrad.softmax_vjp(probs, grad_out)
        probs[...] = 0.0
        grad_out[...] = 1e9
        return result

    assert smgrad.diagnose(vandal).ok
    probes = list(_probes().values())
    assert len(received) == len(probes)
    for (probs, grad_out), (p, g) in zip(received, probes):
        np.testing.assert_array_equal(probs, p)
        np.testing.assert_array_equal(grad_out, g)
    assert smgrad.diagnose(vandal).ok         # and a second diagnosis is the same
