"""smgrad.diagnose: under each rule, every mistake family is named (each family built from
a right rule by the mistake a learner makes); right rules, written in many ways and
computed in float64, float32 or float16, are never flagged (also on random probes, by
Hypothesis); other wrong code is 'unknown' with a useful message; the probes tell every
pair of families apart; the learner's code cannot corrupt the probes; nothing it raises
escapes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smgrad
from oracles import F, needs_torch, tensor, tolerance, torch
from smgrad import mistakes
from smgrad.diagnose import _FAMILIES, _judge, _probes, _run
from smgrad.frameworks import torch_softmax_vjp

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# --- right rules, written in different ways, for each rule ------------------------------
# Each is written from the maths, independently of smgrad's implementation.

def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sm_formula(s, g):
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def sm_axis_1_none_index(s, g):
    return s * (g - (g * s).sum(axis=1)[:, None])


def via_full_jacobian(s, g):
    """gᵀJ with J = diag(s) - s sᵀ built for every row (O(n²), but right)."""
    jac = np.stack([np.diag(row) - np.outer(row, row) for row in s])
    return np.einsum("bi,bij->bj", g, jac)


def jacobian_times_g_per_row(s, g):
    """J @ g row by row (J is symmetric, so J @ g = gᵀJ)."""
    return np.stack([(np.diag(row) - np.outer(row, row)) @ grow for row, grow in zip(s, g)])


def row_by_row(s, g):
    out = np.empty_like(s)
    for b in range(s.shape[0]):
        out[b] = s[b] * g[b] - s[b] * np.dot(s[b], g[b])
    return out


def pure_python_loops(s, g):
    rows, n = s.shape
    out = [[0.0] * n for _ in range(rows)]
    for b in range(rows):
        for j in range(n):
            out[b][j] = sum(g[b][i] * s[b][i] * ((i == j) - s[b][j]) for i in range(n))
    return np.array(out, dtype=s.dtype)


def transposed_batch(s, g):
    """Classes along axis 0 of the transposed arrays."""
    st_, gt = s.T, g.T
    return (st_ * (gt - (gt * st_).sum(axis=0, keepdims=True))).T


def in_place(s, g):
    """Writes into its arguments: diagnose passes copies, so this is fine."""
    g -= (g * s).sum(axis=-1, keepdims=True)
    g *= s
    return g


def through_torch(s, g):
    """PyTorch's autograd on logits log(s) (softmax(log s) = s)."""
    return torch_softmax_vjp(np.log(s), g)


def as_nested_list(s, g):
    return (s * (g - (g * s).sum(axis=1, keepdims=True))).tolist()


def lsm_formula(s, g):
    return g - s * g.sum(axis=-1, keepdims=True)


def lsm_einsum_jacobian(s, g):
    """gᵀJ with J_ij = δ_ij - s_j (J = I - 1 sᵀ)."""
    n = s.shape[1]
    jac = np.eye(n, dtype=s.dtype)[None] - s[:, None, :]
    return np.einsum("bi,bij->bj", g, jac)


def lsm_jacobian_transpose_times_g(s, g):
    n = s.shape[1]
    return np.stack([(np.eye(n, dtype=s.dtype) - np.outer(np.ones(n, s.dtype), row)).T @ grow
                     for row, grow in zip(s, g)])


def lsm_row_by_row(s, g):
    out = np.empty_like(s)
    for b in range(s.shape[0]):
        out[b] = g[b] - s[b] * g[b].sum()
    return out


def lsm_through_softmax_chain(s, g):
    """log_softmax = log ∘ softmax: chain g / s through softmax's rule."""
    u = g / s
    return s * (u - (u * s).sum(axis=-1, keepdims=True))


def lsm_through_torch(s, g):
    x = tensor(np.log(s)).requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.log_softmax(x, dim=-1), x, tensor(g))
    return grad


def lsm_as_list(s, g):
    return lsm_formula(s, g).tolist()


def ce_formula(x, t):
    return (_softmax(x) - t) / x.shape[0]


def ce_index_trick(x, t):
    """The classic one-hot trick: s, minus 1 at each row's label, divided by N."""
    grad = _softmax(x)
    grad[np.arange(len(x)), t.argmax(axis=1)] -= 1
    return grad / len(x)


def ce_row_by_row(x, t):
    out = np.empty_like(x)
    for b in range(len(x)):
        e = np.exp(x[b] - x[b].max())
        out[b] = (e / e.sum() * t[b].sum() - t[b]) / len(x)
    return out


def ce_through_log_softmax(x, t):
    logp = x - x.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    return (np.exp(logp) - t) / len(x)


def ce_chain_through_softmax_vjp(x, t):
    """∂L/∂s = -t / (N s), then softmax's VJP: the unfused route is right too."""
    s = _softmax(x)
    g = -t / (len(x) * s)
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def ce_through_torch(x, t):
    xt = tensor(x).requires_grad_(True)
    loss = F.cross_entropy(xt, tensor(t))            # probability targets, mean
    (grad,) = torch.autograd.grad(loss, xt)
    return grad


def ce_as_list(x, t):
    return ce_formula(x, t).tolist()


RIGHT = {
    "softmax": [smgrad.softmax_vjp, sm_formula, sm_axis_1_none_index, via_full_jacobian,
                jacobian_times_g_per_row, row_by_row, pure_python_loops, transposed_batch,
                in_place, through_torch, as_nested_list],
    "log_softmax": [smgrad.log_softmax_vjp, lsm_formula, lsm_einsum_jacobian,
                    lsm_jacobian_transpose_times_g, lsm_row_by_row,
                    lsm_through_softmax_chain, lsm_through_torch, lsm_as_list],
    "cross_entropy": [lambda x, t: smgrad.cross_entropy_grad(x, t), ce_formula,
                      ce_index_trick, ce_row_by_row, ce_through_log_softmax,
                      ce_chain_through_softmax_vjp, ce_through_torch, ce_as_list],
}
REFERENCE = {"softmax": "softmax_vjp", "log_softmax": "log_softmax_vjp",
             "cross_entropy": "cross_entropy_grad"}
RIGHT_CASES = [(rule, fn) for rule, fns in RIGHT.items() for fn in fns]


def is_list_rule(fn) -> bool:
    return getattr(fn, "__name__", "").endswith("list")


def uses_torch(fn) -> bool:
    """The right rules computed by PyTorch (``*_torch``): skipped without it."""
    return "torch" in getattr(fn, "__name__", "")


def in_dtype(fn, dtype):
    """``fn`` computed in ``dtype`` (inputs cast; a list result stays a list)."""
    def cast(a, b):
        return fn(a.astype(dtype), b.astype(dtype))
    cast.__name__ = f"{getattr(fn, '__name__', 'fn')}_{np.dtype(dtype).name}"
    return cast


def as_float32_list(fn):
    """A PyTorch user's habit: compute in float32, return ``tensor.tolist()``."""
    def listed(a, b):
        return np.asarray(fn(a.astype(np.float32), b.astype(np.float32)),
                          dtype=np.float32).tolist()
    return listed


@pytest.mark.parametrize("rule, backward", [
    pytest.param(r, f, id=f"{r}-{getattr(f, '__name__', 'fn')}",
                 marks=[needs_torch] if uses_torch(f) else [])
    for r, f in RIGHT_CASES])
def test_right_rules_are_accepted(rule, backward):
    result = smgrad.diagnose(backward, rule=rule)
    assert result.ok, result.message
    assert result.mistake is None and result.symptom is None and result.fix == ""
    assert result.message.startswith(f"correct: matches {REFERENCE[rule]} on all 3 probes")
    assert result.rule == rule
    assert repr(result) == str(result) == smgrad.printing.wrap(result.message)
    assert " ".join(repr(result).split()) == " ".join(result.message.split())
    assert max(len(line) for line in repr(result).split("\n")) <= 80  # fits a page


TORCH_FREE = [(rule, fn) for rule, fn in RIGHT_CASES if not uses_torch(fn)
              and not is_list_rule(fn)]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("rule, backward", TORCH_FREE,
                         ids=[f"{r}-{getattr(f, '__name__', 'fn')}" for r, f in TORCH_FREE])
def test_right_rules_in_low_precision_are_accepted(rule, backward, dtype):
    """Tolerances follow the returned dtype: the ones-probe's zeros are zeros at that
    precision (issue 11: a right float32 rule was judged wrong)."""
    result = smgrad.diagnose(in_dtype(backward, dtype), rule=rule)
    assert result.ok, result.message
    assert f"the tolerance for {np.dtype(dtype).name} results" in result.message


@pytest.mark.parametrize("rule", list(RIGHT))
def test_a_float32_tolist_result_is_judged_at_float32(rule):
    result = smgrad.diagnose(as_float32_list(RIGHT[rule][1]), rule=rule)
    assert result.ok, result.message
    assert "float32" in result.message


def test_a_right_float32_rule_is_right_where_it_used_to_fail():
    """The issue's example: float32 softmax VJP, message "expected 0.5408, got 0.5408"."""
    def float32_rule(s, g):
        s, g = s.astype(np.float32), g.astype(np.float32)
        return s * (g - (g * s).sum(axis=-1, keepdims=True))

    result = smgrad.diagnose(float32_rule)
    assert result.ok, result.message
    assert result.message == ("correct: matches softmax_vjp on all 3 probes (within "
                              "rtol=1e-05, atol=1.9e-06, the tolerance for float32 results)")


def test_the_default_message_for_a_right_float64_rule_is_unchanged():
    assert smgrad.diagnose(smgrad.softmax_vjp).message == (
        "correct: matches softmax_vjp on all 3 probes (within rtol=1e-05, atol=1e-08)")


@given(st.data(), st.sampled_from(list(RIGHT)),
       st.sampled_from([np.float64, np.float32, np.float16]),
       st.lists(st.tuples(st.integers(1, 6), st.integers(1, 8)), min_size=1, max_size=3),
       st.integers(0, 2 ** 32 - 1))
def test_right_rules_are_never_flagged_on_random_probes(data, rule, dtype, shapes, seed):
    """Random shapes (one class, one row, batch = classes ...), values and dtypes: a
    right rule, however written (loops, einsum, J @ g, lists), is judged right. A list
    holds Python floats: from float32 values (``tensor.tolist()``) it is judged at
    float32."""
    fns = [fn for fn in RIGHT[rule] if not uses_torch(fn)
           and not (dtype == np.float16 and is_list_rule(fn))]
    backward = data.draw(st.sampled_from(fns), label="backward")
    fn = (as_float32_list(backward) if dtype == np.float32 and is_list_rule(backward)
          else in_dtype(backward, dtype))
    result = _judge(fn, rule, _probes(rule, shapes=shapes, seed=seed))
    assert result.ok, result.message


@given(st.sampled_from([np.float64, np.float32]),
       st.lists(st.tuples(st.integers(2, 6), st.integers(2, 8)), min_size=1, max_size=3),
       st.integers(0, 2 ** 32 - 1))
def test_a_right_rule_for_any_softmax_axis_is_right(dtype, shapes, seed):
    """Written for an ``axis`` argument (moveaxis, any axis) and called on the last."""
    def general(s, g, axis=-1):
        s, g = np.moveaxis(s, axis, 0), np.moveaxis(g, axis, 0)
        return np.moveaxis(s * (g - (g * s).sum(axis=0, keepdims=True)), 0, axis)

    result = _judge(in_dtype(general, dtype), "softmax", _probes("softmax", shapes, seed))
    assert result.ok, result.message


# --- each family, built from a right rule by the mistake, under each rule ---------------

def sm(s, g):
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def lsm(s, g):
    return g - s * g.sum(axis=-1, keepdims=True)


def ce(x, t):
    return (_softmax(x) - t) / len(x)


FAMILY_CASES = {
    "softmax": {
        "sign_flipped": lambda s, g: -sm(s, g),
        "extra_1_over_n": lambda s, g: sm(s, g) / len(s),
        "missing_1_over_n": lambda s, g: sm(s, g) * len(s),
        "constant_factor": lambda s, g: sm(s, g) / 2.0,              # a forgotten 1/T
        "wrong_axis": lambda s, g: s * (g - (g * s).sum(axis=0, keepdims=True)),
        "missing_keepdims": lambda s, g: s * (g - (g * s).sum(axis=-1)),
        "diagonal_only": lambda s, g: g * s * (1 - s),
        "off_diagonal_only": lambda s, g: sm(s, g) - g * s * (1 - s),
        "identity": lambda s, g: g,
        "log_softmax_rule": lsm,
        "summed_jacobian_rows": lambda s, g: np.stack(
            [(np.diag(r) - np.outer(r, r)).sum(axis=1) for r in s]) * g,
        "flattened_batch_jacobian": lambda s, g: (
            g.reshape(-1) @ (np.diag(s.reshape(-1)) - np.outer(s, s))).reshape(s.shape),
        "flattened_jacobian_row_sums": lambda s, g: (
            np.diag(s.reshape(-1)) - np.outer(s, s)).sum(axis=1).reshape(s.shape) * g,
        "identity_sized_by_batch": lambda s, g: s * (np.eye(s.shape[0]) - s) * g,
    },
    "log_softmax": {
        "sign_flipped": lambda s, g: -lsm(s, g),
        "extra_1_over_n": lambda s, g: lsm(s, g) / len(s),
        "missing_1_over_n": lambda s, g: lsm(s, g) * len(s),
        "constant_factor": lambda s, g: lsm(s, g) * 0.1,
        "transposed_jacobian": lambda s, g: np.einsum(
            "bij,bj->bi", np.eye(s.shape[1])[None] - s[:, None, :], g),      # J g
        "softmax_rule": sm,
        "diagonal_only": lambda s, g: (1 - s) * g,
        "off_diagonal_only": lambda s, g: lsm(s, g) - (1 - s) * g,
        "identity": lambda s, g: g,
        "summed_jacobian_rows": lambda s, g: (
            np.eye(s.shape[1])[None] - s[:, None, :]).sum(axis=2) * g,
        "missing_keepdims": lambda s, g: g - s * g.sum(axis=-1),
        "wrong_axis": lambda s, g: g - s * g.sum(axis=0, keepdims=True),
        "flattened_batch_jacobian": lambda s, g: g - s * g.sum(),
    },
    "cross_entropy": {
        "sign_flipped": lambda x, t: -ce(x, t),
        "extra_1_over_n": lambda x, t: ce(x, t) / len(x),               # 1/N twice
        "missing_1_over_n": lambda x, t: _softmax(x) - t,
        "constant_factor": lambda x, t: ce(x, t) * 3,
        "one_over_classes": lambda x, t: (_softmax(x) - t) / x.shape[1],
        "grad_wrt_probs": lambda x, t: -t / _softmax(x) / len(x),
        "diagonal_only": lambda x, t: -t / _softmax(x) * _softmax(x) * (1 - _softmax(x))
        / len(x),
        "grad_wrt_log_probs": lambda x, t: -t / len(x),
        "summed_jacobian_rows": lambda x, t: np.zeros_like(x),
        "identity": lambda x, t: (x - t) / len(x),
        "wrong_axis": lambda x, t: (_softmax(x, axis=0) - t) / len(x),
    },
}
FAMILY_PARAMS = [(rule, name, fn) for rule, cases in FAMILY_CASES.items()
                 for name, fn in cases.items()]


@pytest.mark.parametrize("rule, name, backward", FAMILY_PARAMS,
                         ids=[f"{r}-{n}" for r, n, _ in FAMILY_PARAMS])
def test_every_family_is_named_under_each_rule(rule, name, backward):
    result = smgrad.diagnose(backward, rule=rule)
    assert not result.ok
    assert result.mistake == name, result.message
    assert result.message.startswith(f"wrong: this is the known mistake '{name}': ")
    explanation, fix = result.message.split("\nFix: ")
    assert explanation == f"wrong: {result.explanation}."
    assert fix == result.fix and "the right rule is" in result.fix
    assert "Fix" not in result.explanation and "the right rule" not in result.explanation
    assert result.symptom is None and result.rule == rule
    # The message says what the code does and why it is wrong, in a sentence or more.
    assert len(result.explanation) > 60


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("rule, name, backward", FAMILY_PARAMS,
                         ids=[f"{r}-{n}" for r, n, _ in FAMILY_PARAMS])
def test_families_are_named_in_low_precision_too(rule, name, backward, dtype):
    """Computed in ``dtype`` and returned in it (np.eye's float64 would promote)."""
    def low(a, b):
        return np.asarray(in_dtype(backward, dtype)(a, b)).astype(dtype)

    result = smgrad.diagnose(low, rule=rule)
    assert result.mistake == name, result.message


def test_every_family_in_the_table_has_a_case():
    for rule, families in _FAMILIES.items():
        assert {f.name for f in families} <= set(FAMILY_CASES[rule])


def test_the_threads_mistakes_keep_their_messages():
    """The chapters print these; they are the table's reasons, and the softmax fix."""
    for mistake in mistakes.KNOWN_MISTAKES:
        result = smgrad.diagnose(mistake.backward)
        assert result.mistake == mistake.name
        assert result.message == (f"wrong: this is the known mistake '{mistake.name}': "
                                  f"{mistake.why}.\nFix: {smgrad.diagnose.FIX}")


EXPECTED_NAMES = {
    mistakes.diagonal_only: "diagonal_only",
    # The element-wise chain rule g ⊙ ∂s/∂x (diagonal) is the same computation.
    mistakes.elementwise_chain_rule: "diagonal_only",
    mistakes.summed_jacobian_rows: "summed_jacobian_rows",
    mistakes.flattened_batch_jacobian: "flattened_batch_jacobian",
    mistakes.flattened_jacobian_row_sums: "flattened_jacobian_row_sums",
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


def test_learner_style_mistakes_are_named():
    """The mistakes as a learner writes them, not smgrad's functions."""
    def learner_diagonal(s, g):
        return g * s * (1 - s)

    def learner_eye_batch(s, g):
        return s * (np.eye(s.shape[0]) - s) * g

    def learner_zeros(s, g):           # the summed Jacobian rows, computed as zeros
        return np.zeros_like(s) * g

    def learner_thread_003(s, g):      # flatten, one Jacobian, sum its rows, reshape
        f = s.flatten()
        jac = np.diag(f) - np.outer(f, f)
        return np.sum(jac, axis=1).reshape(s.shape) * g

    def learner_temperature(s, g, temperature=2.0):   # softmax(x / T)'s rule, T forgot
        return s * (g - np.sum(g * s, axis=1, keepdims=True)) / temperature

    assert smgrad.diagnose(learner_diagonal).mistake == "diagonal_only"
    assert smgrad.diagnose(learner_eye_batch).mistake == "identity_sized_by_batch"
    assert smgrad.diagnose(learner_zeros).mistake == "summed_jacobian_rows"
    assert smgrad.diagnose(learner_thread_003).mistake == "flattened_jacobian_row_sums"
    result = smgrad.diagnose(learner_temperature)
    assert result.mistake == "constant_factor"
    assert "it is 0.5 times the correct gradient" in result.message
    assert "temperature" in result.message


def test_a_constant_factor_near_one_is_printed_with_enough_digits():
    result = smgrad.diagnose(lambda s, g: sm(s, g) * 1.001)
    assert result.mistake == "constant_factor"
    assert "it is 1.001 times the correct gradient" in result.message


def test_a_factor_mistake_with_its_sign_flipped_says_both():
    result = smgrad.diagnose(lambda s, g: -sm(s, g) / len(s))
    assert result.mistake == "extra_1_over_n"
    assert "sign is flipped" in result.message and "minus sign" in result.fix


def test_thread_002_element_wise_chain_for_the_fused_loss():
    """-t(1 - s): the element-wise chain rule through ∂L/∂s, without the mean's 1/N."""
    result = smgrad.diagnose(lambda x, t: -t * (1 - _softmax(x)), rule="cross_entropy")
    assert result.mistake == "diagonal_only" and "1/N" in result.message
    result = smgrad.diagnose(lambda x, t: -t / _softmax(x), rule="cross_entropy")
    assert result.mistake == "grad_wrt_probs" and "1/N" in result.message


def test_the_rules_are_told_apart():
    """Each rule's right answer is a named mistake under the other softmax rule."""
    assert smgrad.diagnose(smgrad.log_softmax_vjp).mistake == "log_softmax_rule"
    assert smgrad.diagnose(smgrad.softmax_vjp, rule="log_softmax").mistake == "softmax_rule"


# --- the probes tell every pair apart, under each rule ----------------------------------

def outcome(backward, a, b):
    try:
        return np.asarray(backward(a.copy(), b.copy()), dtype=np.float64)
    except Exception as exc:
        return exc


def clearly_different(a, b) -> bool:
    """One raised and the other did not, the shapes differ, or some entry differs by far
    more than diagnose's tolerance (1e-5 relative, 1e-8 absolute)."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return isinstance(a, Exception) != isinstance(b, Exception)
    return a.shape != b.shape or float(np.max(np.abs(a - b))) > 1e-3


PAIRS = [(rule, first, second) for rule in FAMILY_CASES
         for first, second in itertools.combinations(
             [("right", RIGHT[rule][1])] + list(FAMILY_CASES[rule].items()), 2)]


@pytest.mark.parametrize("rule, first, second", PAIRS,
                         ids=[f"{r}-{a[0]}-{b[0]}" for r, a, b in PAIRS])
def test_probes_distinguish_every_pair(rule, first, second):
    """For every pair of rules (the right one and each family) some probe gives clearly
    different outcomes, so no rule can be mistaken for another."""
    probes = _probes(rule)
    assert any(clearly_different(outcome(first[1], *args), outcome(second[1], *args))
               for args in probes.values())


def test_probes_are_valid_inputs():
    for rule in ("softmax", "log_softmax"):
        for probs, grad_out in _probes(rule).values():
            assert probs.dtype == grad_out.dtype == np.float64
            assert probs.shape == grad_out.shape and probs.ndim == 2
            np.testing.assert_allclose(probs.sum(axis=1), 1.0, **tolerance(np.float64))
            assert np.all(probs > 0)
        shapes = {probs.shape for probs, _ in _probes(rule).values()}
        assert any(b != n for b, n in shapes) and any(b == n for b, n in shapes)
    batch_sizes = set()
    for logits, targets in _probes("cross_entropy").values():
        assert logits.shape == targets.shape and logits.dtype == targets.dtype
        assert set(np.unique(targets)) <= {0.0, 1.0}
        np.testing.assert_array_equal(targets.sum(axis=1), 1.0)
        batch_sizes.add(len(logits))
    assert len(batch_sizes) == 3   # a factor 1/N is told from a constant


# --- other wrong code: 'unknown', with a message that says what happened ----------------

def inner_product_without_s(probs, grad_out):
    return probs * (grad_out - grad_out.sum(axis=1, keepdims=True))


def forgot_the_outer_s(probs, grad_out):
    return grad_out - (grad_out * probs).sum(axis=1, keepdims=True)


def half_right(probs, grad_out):
    out = sm(probs, grad_out)
    out[:, 0] = 0.0
    return out


@pytest.mark.parametrize("backward", [inner_product_without_s, forgot_the_outer_s,
                                      half_right], ids=lambda f: f.__name__)
def test_other_wrong_values_are_unknown_with_largest_error(backward):
    result = smgrad.diagnose(backward)
    assert not result.ok and result.mistake == "unknown"
    assert result.symptom == "wrong values"
    assert "not on the list of known mistakes" in result.message
    assert "largest error" in result.message and "expected" in result.message
    assert "Fix:" in result.message
    # The explanation (what feedback shows) says where, never the expected values.
    assert "index" in result.explanation and "expected" not in result.explanation
    assert "Fix" not in result.explanation


def test_previously_unknown_mistakes_are_now_named():
    """Deliberate change: these were 'unknown' before the families."""
    assert smgrad.diagnose(lambda s, g: g).mistake == "identity"
    assert smgrad.diagnose(lambda s, g: -sm(s, g)).mistake == "sign_flipped"
    assert smgrad.diagnose(
        lambda s, g: s * (g - (g * s).sum(axis=0, keepdims=True))).mistake == "wrong_axis"
    assert smgrad.diagnose(
        lambda s, g: s * (g - (g * s).sum(axis=-1))).mistake == "missing_keepdims"


def test_nan_is_reported_where_it_is():
    result = smgrad.diagnose(lambda s, g: np.full_like(s, np.nan))
    assert result.mistake == "unknown" and result.symptom == "not finite"
    assert "returned nan at index (0, 0)" in result.message


def test_a_raising_backward_is_reported_not_raised():
    def todo(probs, grad_out):
        raise NotImplementedError("write the backward here")

    for rule in smgrad.diagnose.RULES:
        result = smgrad.diagnose(todo, rule=rule)
        assert result.mistake == "unknown" and result.symptom == "raised"
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
    assert result.mistake == "unknown" and result.symptom == "wrong shape"
    assert "returned shape (3,), expected (3, 5)" in result.message


def test_a_list_wrapped_result_is_reported_with_its_shape():
    """The homework's backward returns a list of gradients; as a softmax backward that
    is an array of the wrong shape."""
    def list_of_one(probs, grad_out):
        return [smgrad.softmax_vjp(probs, grad_out)]

    result = smgrad.diagnose(list_of_one)
    assert result.mistake == "unknown"
    assert "returned shape (1, 3, 5), expected (3, 5)" in result.message


@pytest.mark.parametrize("value, words", [
    (["a", "b"], "list of text, not numbers"),                 # was a ValueError message
    ([[1.0, 2.0], [3.0]], "not a rectangular array"),
    (np.ones((3, 5)) * 1j, "complex"),
    ({"grad": 1.0}, "not numbers"),
], ids=["strings", "ragged", "complex", "dict"])
def test_a_result_that_is_not_numbers_is_reported(value, words):
    result = smgrad.diagnose(lambda probs, grad_out: value)
    assert result.mistake == "unknown" and result.symptom == "wrong type"
    assert words in result.message


def test_a_missing_return_is_reported():
    def no_return(probs, grad_out):
        grad_out -= (grad_out * probs).sum(axis=1, keepdims=True)
        grad_out *= probs

    result = smgrad.diagnose(no_return)
    assert result.mistake == "unknown" and result.symptom == "returned None"
    assert "returned None" in result.message and "return" in result.message


@needs_torch
def test_a_torch_tensor_that_requires_grad_is_read():
    def torch_rule(s, g):
        st_ = torch.tensor(s, requires_grad=True)
        return st_ * (torch.tensor(g) - (torch.tensor(g) * st_).sum(-1, keepdim=True))

    assert smgrad.diagnose(torch_rule).ok


@pytest.mark.parametrize("not_a_function", [None, np.zeros((3, 5)), "softmax_vjp"])
def test_diagnose_needs_a_function(not_a_function):
    """Passing the result instead of the function is a usage error, named as such."""
    with pytest.raises(TypeError, match=r"\bbackward\b.*not a function"):
        smgrad.diagnose(not_a_function)


@pytest.mark.parametrize("rule", ["log-softmax", "Softmax", None, 1])
def test_an_unknown_rule_is_a_clear_error(rule):
    with pytest.raises(ValueError, match=r"rule=.* is not one of 'softmax', "
                                         r"'log_softmax', 'cross_entropy'"):
        smgrad.diagnose(smgrad.softmax_vjp, rule=rule)


def test_no_warning_escapes_from_the_learners_code():
    """Division by zero in the learner's code shows up as a verdict, not a warning."""
    result = smgrad.diagnose(lambda s, g: g / (s - s))
    assert result.mistake == "unknown" and result.symptom == "not finite"


# --- the learner's code cannot corrupt the probes ---------------------------------------

@pytest.mark.parametrize("rule", ["softmax", "cross_entropy"])
def test_learner_cannot_corrupt_the_probes(rule):
    """A backward that wrecks its arguments after use: every call still receives the
    probe's original arrays (fresh copies), so the verdict is unaffected."""
    received = []
    right = RIGHT[rule][1]

    def vandal(a, b):
        received.append((a.copy(), b.copy()))
        result = right(a, b)
        a[...] = 0.0
        b[...] = 1e9
        return result

    assert smgrad.diagnose(vandal, rule=rule).ok
    probes = list(_probes(rule).values())
    assert len(received) == len(probes)
    for (a, b), (p, g) in zip(received, probes):
        np.testing.assert_array_equal(a, p)
        np.testing.assert_array_equal(b, g)
    assert smgrad.diagnose(vandal, rule=rule).ok   # and a second diagnosis is the same


def test_run_reports_each_kind_of_outcome():
    a, b = np.ones((2, 2)), np.ones((2, 2))
    assert _run(lambda x, y: x, a, b).kind == "ok"
    assert _run(lambda x, y: None, a, b).kind == "none"
    assert _run(lambda x, y: 1 / 0, a, b).kind == "raised"
    assert _run(lambda x, y: "text", a, b).kind == "not an array"
