"""smgrad.mistakes: each re-created mistake computes what its docstring says (closed
forms, the threads' own numbers) and is wrong; the catalogue is well formed (identifiers
unique within a rule, every origin and rule known, plain-words text without the fix) and
the module docstring's list of identifiers is the catalogue's.

The oracle is numpy (and smgrad.softmax, tested against PyTorch in test_forward.py):
these tests run without PyTorch. The few that compare with PyTorch's autograd are marked
``needs_torch`` and skipped without it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smgrad
from oracles import assert_close, needs_torch, tensor, torch, torch_vjp
from smgrad import mistakes
from strategies import cases, like

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BACKWARD_MISTAKES = [mistakes.diagonal_only, mistakes.elementwise_chain_rule,
                     mistakes.summed_jacobian_rows, mistakes.flattened_batch_jacobian,
                     mistakes.flattened_jacobian_row_sums, mistakes.identity_sized_by_batch]

#: Thread 003's "What I expected" row (printed with 4 decimals), for x = arange(20)
#: reshaped (5, 4), a flattened 20 x 20 Jacobian and an upstream gradient of ones.
THREAD_003_EXPECTED_ROW = [-0.1282, -0.3486, -0.9475, -2.5757]
PRINTED_4_DECIMALS = dict(rtol=0, atol=0.5e-4)   # half a unit in the last printed digit


def probe(shape=(3, 5), seed=0):
    """Logits, their softmax along the last axis, and a random upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x, smgrad.softmax(x, axis=-1), rng.standard_normal(shape)


def right_vjp(s, g):
    """gᵀJ row by row, with each block J = diag(s) - s sᵀ built explicitly (numpy)."""
    return np.stack([grow @ (np.diag(row) - np.outer(row, row)) for row, grow in zip(s, g)])


# --- each mistake computes what it says -------------------------------------------------

@given(st.data(), cases(dtype=np.float64, min_dims=1, masks=False, extreme=False))
def test_diagonal_only_is_s_times_one_minus_s_times_g(data, case):
    grad_out = data.draw(like(case.x))
    s = smgrad.softmax(case.x, case.axis)
    expected = s * (1 - s) * grad_out
    assert_close(mistakes.diagonal_only(s, grad_out, case.axis), expected, np.float64,
                 scale=10.0)
    assert_close(mistakes.elementwise_chain_rule(s, grad_out, case.axis), expected,
                 np.float64, scale=10.0)


def test_elementwise_chain_rule_thread_002():
    """With g = -t/s it gives -t(1 - s); the right answer is s - t."""
    x, s, _ = probe()
    t = np.eye(5)[[1, 4, 0]]
    g = -t / s
    scale = float(np.abs(g).max())
    assert_close(mistakes.elementwise_chain_rule(s, g), -t * (1 - s), np.float64,
                 scale=scale)
    assert_close(right_vjp(s, g), s - t, np.float64, scale=scale)
    assert not np.allclose(mistakes.elementwise_chain_rule(s, g), s - t)


@needs_torch
def test_the_right_answer_of_thread_002_is_pytorchs():
    x, s, _ = probe()
    t = np.eye(5)[[1, 4, 0]]
    assert_close(torch_vjp(torch.softmax, x, -t / s, (1,)), s - t, np.float64,
                 scale=float(np.abs(t / s).max()))


@given(st.data(), cases(dtype=np.float64, masks=False, extreme=False))
def test_summed_jacobian_rows_is_zero_whatever_g(data, case):
    grad_out = data.draw(like(case.x))
    s = smgrad.softmax(case.x, case.axis)
    assert_close(mistakes.summed_jacobian_rows(s, grad_out, case.axis),
                 np.zeros(case.x.shape), np.float64, scale=10.0)


def test_flattened_batch_jacobian_reproduces_thread_003():
    x = np.arange(20.0).reshape(5, 4)
    s = smgrad.softmax(x, axis=1)
    wrong = mistakes.flattened_batch_jacobian(s, np.ones((5, 4)))
    # Closed form: f ⊙ (g - ⟨g, f⟩) over the whole batch; with g = 1, ⟨g, f⟩ = rows = 5.
    assert_close(wrong, s * (1 - 5), np.float64)
    for row in wrong:
        np.testing.assert_allclose(row, THREAD_003_EXPECTED_ROW, **PRINTED_4_DECIMALS)


@needs_torch
def test_autograd_gives_thread_003_zeros():
    """What the thread saw from autograd, with a gradient of ones: zeros."""
    x = np.arange(20.0).reshape(5, 4)
    assert_close(torch_vjp(torch.softmax, x, np.ones((5, 4)), (1,)), np.zeros((5, 4)),
                 np.float64)


def test_flattened_batch_jacobian_closed_form_and_ignores_axis():
    _, s, g = probe((4, 3), seed=1)
    f, gf = s.reshape(-1), g.reshape(-1)
    expected = (f * (gf - gf @ f)).reshape(4, 3)
    for axis in (-1, 0, None):
        assert_close(mistakes.flattened_batch_jacobian(s, g, axis), expected, np.float64,
                     scale=10.0)


def test_flattened_jacobian_row_sums_reproduces_thread_003():
    """The thread's recipe: flatten, one 20 x 20 Jacobian, sum its rows, reshape,
    multiply by the gradient of ones: every row is the thread's "what I expected"."""
    s = smgrad.softmax(np.arange(20.0).reshape(5, 4), axis=1)
    wrong = mistakes.flattened_jacobian_row_sums(s, np.ones((5, 4)))
    for row in wrong:
        np.testing.assert_allclose(row, THREAD_003_EXPECTED_ROW, **PRINTED_4_DECIMALS)


@needs_torch
def test_flattened_jacobian_row_sums_is_the_threads_torch_recipe():
    """The recipe written out step by step in torch, as the thread did."""
    s = smgrad.softmax(np.arange(20.0).reshape(5, 4), axis=1)
    f = tensor(s).reshape(-1)
    jac = torch.diag(f) - torch.outer(f, f)
    assert_close(mistakes.flattened_jacobian_row_sums(s, np.ones((5, 4))),
                 jac.sum(dim=1).reshape(5, 4).numpy() * 1.0, np.float64)


@given(st.data(), st.integers(1, 5), st.integers(1, 5),
       st.sampled_from([np.float32, np.float64]))
def test_flattened_jacobian_row_sums_is_s_times_one_minus_rows_times_g(data, rows, n,
                                                                        dtype):
    """Row (b, i) of diag(f) - f fᵀ sums to s_bi (1 - Σf) = s_bi (1 - rows)."""
    x = data.draw(like(np.zeros((rows, n), dtype)))
    g = data.draw(like(x))
    s = smgrad.softmax(x, axis=1)
    assert_close(mistakes.flattened_jacobian_row_sums(s, g), s * (1 - rows) * g, dtype,
                 scale=10.0 * rows * n)


def test_the_two_flattened_variants_differ_except_for_a_ones_gradient():
    """gᵀJ̃ and (J̃ 1) ⊙ g agree for g of ones (both f (1 - rows)), not otherwise; axis is
    ignored by both."""
    _, s, g = probe((3, 4), seed=6)
    ones = np.ones((3, 4))
    assert_close(mistakes.flattened_jacobian_row_sums(s, ones),
                 mistakes.flattened_batch_jacobian(s, ones), np.float64)
    assert np.max(np.abs(mistakes.flattened_jacobian_row_sums(s, g)
                         - mistakes.flattened_batch_jacobian(s, g))) > 1e-2
    for axis in (0, None):
        assert_close(mistakes.flattened_jacobian_row_sums(s, g, axis),
                     mistakes.flattened_jacobian_row_sums(s, g), np.float64)


@pytest.mark.parametrize("backward", [mistakes.flattened_batch_jacobian,
                                      mistakes.flattened_jacobian_row_sums],
                         ids=lambda f: f.__name__)
def test_flattened_variants_refuse_huge_inputs_and_check_shapes(backward):
    big = np.full((1, 8193), 1 / 8193)        # 8193² > 2**26 entries
    with pytest.raises(ValueError, match=r"\bprobs\b.*8193 entries"):
        backward(big, big)
    with pytest.raises(ValueError, match=r"\bgrad_out\b"):
        backward(np.ones((2, 3)) / 3, np.ones((3, 2)))


def test_the_size_limit_is_the_full_jacobians():
    """One limit for every full Jacobian: mistakes imports derivatives' own."""
    from smgrad import derivatives

    assert mistakes._FULL_JACOBIAN_LIMIT is derivatives._FULL_JACOBIAN_LIMIT
    assert "1 << 26" not in open(mistakes.__file__, encoding="utf-8").read()


def test_identity_sized_by_batch_thread_001():
    """np.eye(batch) against (batch, classes): fails unless batch == classes, and then
    it is s ⊙ (I - s) ⊙ g, which mixes sample and class indices."""
    _, s, g = probe((3, 10))                   # MNIST-like: 10 classes, batch of 3
    with pytest.raises(ValueError):
        mistakes.identity_sized_by_batch(s, g)
    _, s, g = probe((4, 4), seed=2)
    assert_close(mistakes.identity_sized_by_batch(s, g), s * (np.eye(4) - s) * g, np.float64)
    assert not np.allclose(mistakes.identity_sized_by_batch(s, g), right_vjp(s, g))


# --- every mistake is wrong -------------------------------------------------------------

@pytest.mark.parametrize("backward", BACKWARD_MISTAKES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (2, 6)])
def test_every_mistake_differs_from_the_right_rule(backward, shape):
    _, s, g = probe(shape, seed=3)
    right = right_vjp(s, g)
    assert_close(smgrad.softmax_vjp(s, g), right, np.float64, scale=10.0)
    try:
        wrong = backward(s, g)
    except ValueError:
        assert backward is mistakes.identity_sized_by_batch and shape[0] != shape[1]
        return
    assert np.max(np.abs(wrong - right)) > 1e-2


@pytest.mark.parametrize("entry", mistakes.CATALOGUE,
                         ids=[f"{'+'.join(m.rules)}-{m.name}" for m in mistakes.CATALOGUE])
def test_every_catalogue_entry_is_wrong_under_its_rules(entry):
    """On a batch of 3 rows of 5 classes (where np.eye(batch) raises, as it should)."""
    x, s, g = probe((3, 5), seed=4)
    t = np.eye(5)[[0, 3, 1]]
    right = {"softmax": (right_vjp, (s, g)),
             "log_softmax": (lambda p, h: h - p * h.sum(-1, keepdims=True), (s, g)),
             "cross_entropy": (lambda z, y: (smgrad.softmax(z) - y) / len(z), (x, t))}
    for rule in entry.rules:
        reference, args = right[rule]
        try:
            wrong = entry.backward(*args)
        except ValueError:           # numpy cannot broadcast (batch,) or (batch, batch)
            assert entry.name in {"identity_sized_by_batch", "missing_keepdims"}
            continue
        assert wrong.shape == args[0].shape
        assert np.max(np.abs(wrong - reference(*args))) > 1e-2, (rule, entry.name)


def test_mistakes_do_not_mutate_inputs():
    _, s, g = probe((4, 4), seed=5)
    before = s.copy(), g.copy()
    for backward in BACKWARD_MISTAKES + [m.backward for m in mistakes.CATALOGUE]:
        backward(s, g)
    np.testing.assert_array_equal(s, before[0])
    np.testing.assert_array_equal(g, before[1])


# --- the catalogue ----------------------------------------------------------------------

def test_identifiers_are_unique_within_each_rule():
    for rule in mistakes.RULES:
        names = [m.name for m in mistakes.for_rule(rule)]
        assert len(names) == len(set(names)), rule
        factors = [f.name for f in mistakes.factors_for(rule)]
        assert len(factors) == len(set(factors)), rule
        # a factor's identifier never shadows an entry's
        assert not {f.identifier for f in mistakes.factors_for(rule)} & set(names)


def test_every_entry_is_well_formed():
    identifier = re.compile(r"[a-z][a-z0-9_]*\Z")
    for m in mistakes.CATALOGUE:
        assert identifier.match(m.name) and callable(m.backward)
        assert m.origin in mistakes.ORIGINS and set(m.rules) <= set(mistakes.RULES)
        # Plain words in the learner's terms: a clause saying what the code does, a
        # reason, and a fix kept apart (never in what the learner is told).
        assert m.says.startswith("it ") and len(m.says) > 30
        assert len(m.why) > 20 and m.fix and m.fix not in m.says + m.why
        assert "_" not in m.name or m.name not in m.says + m.why   # no identifier
    for f in mistakes.FACTORS:
        assert identifier.match(f.identifier) and f.says and f.why and f.fix
        assert set(f.rules) <= set(mistakes.RULES)
        assert (f.value is None) == (f.name == "constant")


def test_the_threads_mistakes_are_entries_with_their_functions():
    thread = {m.name: m for m in mistakes.CATALOGUE if m.origin != "family"
              and "softmax" in m.rules}
    for fn in BACKWARD_MISTAKES:
        name = "diagonal_only" if fn is mistakes.elementwise_chain_rule else fn.__name__
        assert thread[name].backward is getattr(mistakes, name)
        assert fn.__name__ in mistakes.__all__
    assert {m.origin for m in mistakes.CATALOGUE} <= set(mistakes.ORIGINS)
    assert "element-wise chain rule" in mistakes.find("diagonal_only", "softmax").says


def test_a_bad_entry_is_refused():
    with pytest.raises(ValueError, match="rules="):
        mistakes.Mistake("x", np.add, ("relu",), "family", "it adds", "why", "fix")
    with pytest.raises(ValueError, match="origin="):
        mistakes.Mistake("x", np.add, ("softmax",), "thread 9", "it adds", "why", "fix")


def test_find_names_what_is_known():
    assert mistakes.find("identity", "log_softmax") is mistakes.find("identity", "softmax")
    with pytest.raises(KeyError, match="no mistake 'softmax_rule' for rule 'softmax'; "
                                       "known: .*diagonal_only"):
        mistakes.find("softmax_rule", "softmax")


def documented_identifiers() -> dict[str, list[str]]:
    """The module docstring's list: ``* rule: name, name, ...;`` items."""
    items = re.findall(r"^\* ([a-z_ ]+?): (.*?)[;.]$", re.sub(r"\n  ", " ", mistakes.__doc__),
                       flags=re.M)
    return {rule: re.findall(r"[a-z_0-9]+(?=,|$| \()", names) for rule, names in items}


def test_the_module_docstring_lists_the_catalogue():
    listed = documented_identifiers()
    for rule in mistakes.RULES:
        assert listed[rule] == [m.name for m in mistakes.for_rule(rule)], rule
    factors = listed["the right rule times a factor"]
    assert factors == list(dict.fromkeys(f.identifier for f in mistakes.FACTORS))
