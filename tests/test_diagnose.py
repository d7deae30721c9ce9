"""smgrad.diagnose: under each rule, every entry of the catalogue is named, as it is and
times each factor (a sign, 1/N, N, the number of classes, any constant); each mistake is
also named as a learner writes it; right rules, written in many ways and computed in
float64, float32 or float16, are never flagged (also on random probes, by Hypothesis);
other wrong code is 'unknown' with a useful message; the verdict's fields follow one
contract (status, mistake, factor, symptom, where counted from 0, a message in plain words
without the fix or any expected value, the fix apart); the learner's code cannot corrupt
the probes; nothing it raises escapes."""

from __future__ import annotations

import inspect
import itertools
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smgrad
from oracles import F, needs_torch, tensor, tolerance, torch
from smgrad import mistakes
from smgrad.diagnosis import STATUSES, SYMPTOMS, Diagnosis, _judge, _probes, _run

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
    x = tensor(np.log(s)).requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.softmax(x, dim=-1), x, tensor(g))
    return grad


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
    "softmax": [sm_formula, sm_axis_1_none_index, via_full_jacobian,
                jacobian_times_g_per_row, row_by_row, pure_python_loops, transposed_batch,
                in_place, through_torch, as_nested_list],
    "log_softmax": [lsm_formula, lsm_einsum_jacobian,
                    lsm_jacobian_transpose_times_g, lsm_row_by_row,
                    lsm_through_softmax_chain, lsm_through_torch, lsm_as_list],
    "cross_entropy": [ce_formula,
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


# --- the function and its verdict -------------------------------------------------------

def test_diagnose_is_a_plain_function_with_its_signature():
    assert inspect.isfunction(smgrad.diagnose)
    parameters = inspect.signature(smgrad.diagnose).parameters
    assert list(parameters) == ["backward", "rule"]
    assert parameters["rule"].default == "softmax"
    assert smgrad.diagnose is smgrad.diagnosis.diagnose
    assert inspect.ismodule(smgrad.diagnosis)


def test_the_verdicts_fields_are_the_contract():
    import dataclasses

    assert [f.name for f in dataclasses.fields(Diagnosis)] == [
        "ok", "status", "rule", "mistake", "factor", "symptom", "where", "message", "fix"]
    verdict = smgrad.diagnose(smgrad.softmax_vjp)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.ok = False
    assert verdict.explanation == verdict.message       # the older name, kept


WHERE = re.compile(r"probe \d \(batch \d × classes \d(, grad_out of ones)?\)"
                   r"(, index \(\d, \d\))?\Z")


def assert_plain_wrong_verdict(result, rule):
    """The contract of every 'wrong' verdict: the message says what the code does, holds
    no fix, no identifier and no expected value; the repr is the message, fitting a
    page; ``where`` counts from 0."""
    assert not result.ok and result.status == "wrong" and result.rule == rule
    assert result.message.startswith("wrong: ")
    assert "Fix" not in result.message and "the right rule" not in result.message
    assert result.fix and result.fix not in result.message
    assert result.fix.endswith(smgrad.diagnosis._RULES[rule].formula)
    if result.mistake and "_" in result.mistake:
        assert result.mistake not in result.message
    assert repr(result) == str(result) == smgrad.printing.wrap(result.message)
    assert max(len(line) for line in repr(result).split("\n")) <= 80
    assert result.where is None or WHERE.match(result.where), result.where
    assert result.symptom is None or result.symptom in SYMPTOMS


@pytest.mark.parametrize("rule, backward", [
    pytest.param(r, f, id=f"{r}-{getattr(f, '__name__', 'fn')}",
                 marks=[needs_torch] if uses_torch(f) else [])
    for r, f in RIGHT_CASES])
def test_right_rules_are_accepted(rule, backward):
    result = smgrad.diagnose(backward, rule=rule)
    assert result.ok, result.message
    assert result.status == "right" and result.rule == rule
    assert result.mistake is result.factor is result.symptom is result.where is None
    assert result.fix == ""
    assert result.message.startswith(f"correct: matches {REFERENCE[rule]} on all 3 probes")
    assert repr(result) == str(result) == smgrad.printing.wrap(result.message)


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


def test_the_messages_for_right_rules():
    def float32_rule(s, g):
        s, g = s.astype(np.float32), g.astype(np.float32)
        return s * (g - (g * s).sum(axis=-1, keepdims=True))

    assert smgrad.diagnose(float32_rule).message == (
        "correct: matches softmax_vjp on all 3 probes (within rtol=1e-05, atol=1.9e-06, "
        "the tolerance for float32 results)")
    assert smgrad.diagnose(smgrad.softmax_vjp).message == (
        "correct: matches softmax_vjp on all 3 probes (within rtol=1e-05, atol=1e-08)")


def general_axis_rule(s, g, axis=-1):
    """Written for any ``axis`` (moveaxis), called on the last."""
    s, g = np.moveaxis(s, axis, 0), np.moveaxis(g, axis, 0)
    return np.moveaxis(s * (g - (g * s).sum(axis=0, keepdims=True)), 0, axis)


@given(st.data(), st.sampled_from(list(RIGHT)),
       st.sampled_from([np.float64, np.float32, np.float16]),
       st.lists(st.tuples(st.integers(1, 6), st.integers(1, 8)), min_size=1, max_size=3),
       st.integers(0, 2 ** 32 - 1))
def test_right_rules_are_never_flagged_on_random_probes(data, rule, dtype, shapes, seed):
    """Random shapes (one class, one row, batch = classes ...), values and dtypes: a
    right rule, however written (loops, einsum, J @ g, lists, any axis), is judged
    right. A list holds Python floats: from float32 values (``tensor.tolist()``) it is
    judged at float32."""
    fns = [fn for fn in RIGHT[rule] if not uses_torch(fn)
           and not (dtype == np.float16 and is_list_rule(fn))]
    if rule == "softmax":
        fns.append(general_axis_rule)
    backward = data.draw(st.sampled_from(fns), label="backward")
    fn = (as_float32_list(backward) if dtype == np.float32 and is_list_rule(backward)
          else in_dtype(backward, dtype))
    result = _judge(fn, rule, _probes(rule, shapes=shapes, seed=seed))
    assert result.ok, result.message


# --- every catalogue entry, as it is and times every factor, under each rule ------------

ENTRIES = [(rule, m) for rule in mistakes.RULES for m in mistakes.for_rule(rule)]


def times(factor, sign, c, backward):
    """``backward`` times the factor (per probe: rows and classes of the first
    argument)."""
    def scaled(a, b):
        rows, n = a.shape
        value = c if factor.value is None else factor.value(rows, n)
        return sign * value * backward(a, b)
    return scaled


def factor_cases(rule):
    """``(factor, sign, c, expected Diagnosis.factor)`` for every factor of ``rule``,
    each with its sign flipped too, and two constants."""
    for factor in mistakes.factors_for(rule):
        if factor.value is None:
            yield factor, 1.0, 0.5, "constant"
            yield factor, 1.0, -3.0, "-constant"
        elif factor.name == "sign":
            yield factor, 1.0, 1.0, "sign"
        else:
            yield factor, 1.0, 1.0, factor.name
            yield factor, -1.0, 1.0, "-" + factor.name


def is_zero(entry) -> bool:
    """An entry that returns zeros: a factor cannot show on it."""
    return entry.name == "summed_jacobian_rows"


@pytest.mark.parametrize("rule, entry", ENTRIES, ids=[f"{r}-{m.name}" for r, m in ENTRIES])
def test_every_entry_is_named_under_its_rules_with_every_factor(rule, entry):
    result = smgrad.diagnose(entry.backward, rule=rule)
    assert (result.mistake, result.factor) == (entry.name, None), result.message
    assert_plain_wrong_verdict(result, rule)
    assert entry.says in result.message and entry.why in result.message
    assert result.fix.startswith(entry.fix)
    if is_zero(entry):
        return
    for factor, sign, c, name in factor_cases(rule):
        result = smgrad.diagnose(times(factor, sign, c, entry.backward), rule=rule)
        assert result.mistake == entry.name, result.message
        assert_plain_wrong_verdict(result, rule)
        assert entry.says in result.message
        if result.factor != name:
            assert "constant" not in name and indistinguishable(
                rule, entry, name, result.factor), result.message
            continue
        assert factor.says.format(c=f"{abs(c):.3g}") in result.message


def factor_value(rule, name, rows, n):
    factor = next(f for f in mistakes.factors_for(rule) if f.name == name.lstrip("-"))
    return (-1.0 if name.startswith("-") else 1.0) * factor.value(rows, n)


def indistinguishable(rule, entry, expected, found, factor=None) -> bool:
    """Two factors that are equal on every probe where ``entry`` runs: np.eye(batch)
    runs only where batch == classes, so there 1/N is 1/n (and any factor a constant).
    ``expected`` is a factor's name, or with ``factor`` the constant it multiplies."""
    ran = [p for p in _probes(rule) if not isinstance(outcome(entry.backward, *p.args),
                                                      Exception)]
    if found is None or "constant" in found:
        return found is not None and len(ran) == 1
    if factor is not None:
        value = [expected * (1.0 if factor.value is None else factor.value(p.rows, p.n))
                 for p in ran]
    else:
        value = [factor_value(rule, expected, p.rows, p.n) for p in ran]
    return all(np.isclose(v, factor_value(rule, found, p.rows, p.n))
               for v, p in zip(value, ran))


@given(st.sampled_from(ENTRIES), st.data(), st.sampled_from([np.float64, np.float32]))
def test_any_entry_times_any_factor_in_any_dtype_is_named(entry_case, data, dtype):
    """Hypothesis picks the entry, the factor (a constant from a range), the sign and
    the dtype the learner computes in."""
    rule, entry = entry_case
    factor = data.draw(st.sampled_from(mistakes.factors_for(rule)), label="factor")
    sign = data.draw(st.sampled_from([1.0, -1.0]), label="sign")
    c = data.draw(st.floats(0.05, 20.0).filter(lambda v: abs(v - 1) > 0.01), label="c")
    scaled = times(factor, sign if factor.name != "sign" else 1.0, c, entry.backward)

    def learner(a, b):
        return np.asarray(scaled(a.astype(dtype), b.astype(dtype))).astype(dtype)

    result = smgrad.diagnose(learner, rule=rule)
    assert result.mistake == entry.name, result.message
    if is_zero(entry):
        return
    value = c if factor.value is None else 1.0
    expected = ("-" if sign < 0 and factor.name != "sign" else "") + factor.name
    assert result.factor == expected or indistinguishable(
        rule, entry, sign * value, result.factor, factor), (expected, result.message)


@pytest.mark.parametrize("rule", mistakes.RULES)
def test_the_right_rule_times_every_factor_is_named(rule):
    right = smgrad.diagnosis._RULES[rule].right
    for factor, sign, c, name in factor_cases(rule):
        result = smgrad.diagnose(times(factor, sign, c, right), rule=rule)
        assert (result.mistake, result.factor) == (factor.identifier, name), result.message
        assert_plain_wrong_verdict(result, rule)
        assert result.message.startswith("wrong: it returns the correct gradient "
                                         + factor.says.format(c=f"{abs(c):.3g}"))
        assert ("sign flipped" in result.message) == (sign < 0 or c < 0
                                                      or factor.name == "sign")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("rule, entry", ENTRIES, ids=[f"{r}-{m.name}" for r, m in ENTRIES])
def test_entries_are_named_in_low_precision_too(rule, entry, dtype):
    """Computed in ``dtype`` and returned in it, as it is and divided by N."""
    def low(a, b):
        return np.asarray(entry.backward(a.astype(dtype), b.astype(dtype))).astype(dtype)

    assert smgrad.diagnose(low, rule=rule).mistake == entry.name
    if not is_zero(entry):
        def low_over_n(a, b):
            return (low(a, b) / dtype(len(a))).astype(dtype)

        result = smgrad.diagnose(low_over_n, rule=rule)
        assert (result.mistake, result.factor) == (entry.name, "1/N"), result.message


# --- each mistake as a learner writes it ------------------------------------------------

def sm(s, g):
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def lsm(s, g):
    return g - s * g.sum(axis=-1, keepdims=True)


def ce(x, t):
    return (_softmax(x) - t) / len(x)


#: rule -> {label: (backward as a learner writes it, mistake, factor)}; every identifier
#: of the catalogue and of the factors has one case at least.
LEARNER_CASES = {
    "softmax": {
        "sign_flipped": (lambda s, g: -sm(s, g), "sign_flipped", "sign"),
        "extra_1_over_n": (lambda s, g: sm(s, g) / len(s), "extra_1_over_n", "1/N"),
        "missing_1_over_n": (lambda s, g: sm(s, g) * len(s), "missing_1_over_n", "N"),
        "divided_by_classes": (lambda s, g: sm(s, g) / s.shape[1], "divided_by_classes",
                               "1/n"),
        "times_classes": (lambda s, g: sm(s, g) * s.shape[-1], "times_classes", "n"),
        "temperature": (lambda s, g: sm(s, g) / 2.0, "constant_factor", "constant"),
        "minus_over_n": (lambda s, g: -sm(s, g) / len(s), "extra_1_over_n", "-1/N"),
        "wrong_axis": (lambda s, g: s * (g - (g * s).sum(axis=0, keepdims=True)),
                       "wrong_axis", None),
        "missing_keepdims": (lambda s, g: s * (g - (g * s).sum(axis=-1)),
                             "missing_keepdims", None),
        "diagonal_only": (lambda s, g: g * s * (1 - s), "diagonal_only", None),
        "diagonal_over_n": (lambda s, g: g * s * (1 - s) / len(s), "diagonal_only", "1/N"),
        "off_diagonal_only": (lambda s, g: sm(s, g) - g * s * (1 - s),
                              "off_diagonal_only", None),
        "identity": (lambda s, g: g, "identity", None),
        "log_softmax_rule": (lsm, "log_softmax_rule", None),
        "summed_jacobian_rows": (lambda s, g: np.stack(
            [(np.diag(r) - np.outer(r, r)).sum(axis=1) for r in s]) * g,
            "summed_jacobian_rows", None),
        "zeros": (lambda s, g: np.zeros_like(s) * g, "summed_jacobian_rows", None),
        "flattened_batch_jacobian": (lambda s, g: (
            g.reshape(-1) @ (np.diag(s.reshape(-1)) - np.outer(s, s))).reshape(s.shape),
            "flattened_batch_jacobian", None),
        "inner_product_over_batch": (lambda s, g: s * (g - np.sum(g * s)),
                                     "flattened_batch_jacobian", None),
        "flattened_jacobian_row_sums": (lambda s, g: (
            np.diag(s.flatten()) - np.outer(s, s)).sum(axis=1).reshape(s.shape) * g,
            "flattened_jacobian_row_sums", None),
        "identity_sized_by_batch": (lambda s, g: s * (np.eye(s.shape[0]) - s) * g,
                                    "identity_sized_by_batch", None),
    },
    "log_softmax": {
        "sign_flipped": (lambda s, g: -lsm(s, g), "sign_flipped", "sign"),
        "extra_1_over_n": (lambda s, g: lsm(s, g) / len(s), "extra_1_over_n", "1/N"),
        "missing_1_over_n": (lambda s, g: lsm(s, g) * len(s), "missing_1_over_n", "N"),
        "divided_by_classes": (lambda s, g: lsm(s, g) / s.shape[1], "divided_by_classes",
                               "1/n"),
        "times_classes": (lambda s, g: lsm(s, g) * s.shape[1], "times_classes", "n"),
        "constant_factor": (lambda s, g: lsm(s, g) * 0.1, "constant_factor", "constant"),
        "transposed_jacobian": (lambda s, g: np.einsum(
            "bij,bj->bi", np.eye(s.shape[1])[None] - s[:, None, :], g),
            "transposed_jacobian", None),
        "softmax_rule": (sm, "softmax_rule", None),
        "diagonal_only": (lambda s, g: (1 - s) * g, "diagonal_only", None),
        "off_diagonal_only": (lambda s, g: lsm(s, g) - (1 - s) * g, "off_diagonal_only",
                              None),
        "identity": (lambda s, g: g, "identity", None),
        "summed_jacobian_rows": (lambda s, g: (
            np.eye(s.shape[1])[None] - s[:, None, :]).sum(axis=2) * g,
            "summed_jacobian_rows", None),
        "missing_keepdims": (lambda s, g: g - s * g.sum(axis=-1), "missing_keepdims",
                             None),
        "wrong_axis": (lambda s, g: g - s * g.sum(axis=0, keepdims=True), "wrong_axis",
                       None),
        "flattened_batch_jacobian": (lambda s, g: g - s * g.sum(),
                                     "flattened_batch_jacobian", None),
    },
    "cross_entropy": {
        "sign_flipped": (lambda x, t: -ce(x, t), "sign_flipped", "sign"),
        "extra_1_over_n": (lambda x, t: ce(x, t) / len(x), "extra_1_over_n", "1/N"),
        "missing_1_over_n": (lambda x, t: _softmax(x) - t, "missing_1_over_n", "N"),
        "divided_by_classes": (lambda x, t: ce(x, t) / x.shape[1], "divided_by_classes",
                               "1/n"),
        "times_classes": (lambda x, t: ce(x, t) * x.shape[1], "times_classes", "n"),
        "constant_factor": (lambda x, t: ce(x, t) * 3, "constant_factor", "constant"),
        "one_over_classes": (lambda x, t: (_softmax(x) - t) / x.shape[1],
                             "one_over_classes", "N/n"),
        "grad_wrt_probs": (lambda x, t: -t / _softmax(x) / len(x), "grad_wrt_probs", None),
        "grad_wrt_probs_summed": (lambda x, t: -t / _softmax(x), "grad_wrt_probs", "N"),
        "diagonal_only": (lambda x, t: -t / _softmax(x) * _softmax(x) * (1 - _softmax(x))
                          / len(x), "diagonal_only", None),
        "thread_002": (lambda x, t: -t * (1 - _softmax(x)), "diagonal_only", "N"),
        "grad_wrt_log_probs": (lambda x, t: -t / len(x), "grad_wrt_log_probs", None),
        "summed_jacobian_rows": (lambda x, t: np.zeros_like(x), "summed_jacobian_rows",
                                 None),
        "identity": (lambda x, t: (x - t) / len(x), "identity", None),
        "wrong_axis": (lambda x, t: (_softmax(x, axis=0) - t) / len(x), "wrong_axis",
                       None),
    },
}
LEARNER_PARAMS = [(rule, label, *case) for rule, cases in LEARNER_CASES.items()
                  for label, case in cases.items()]


@pytest.mark.parametrize("rule, label, backward, mistake, factor", LEARNER_PARAMS,
                         ids=[f"{r}-{label}" for r, label, *_ in LEARNER_PARAMS])
def test_each_mistake_as_a_learner_writes_it_is_named(rule, label, backward, mistake,
                                                      factor):
    result = smgrad.diagnose(backward, rule=rule)
    assert (result.mistake, result.factor) == (mistake, factor), result.message
    assert_plain_wrong_verdict(result, rule)
    assert len(result.message) > 60          # what the code does, and why, in a sentence


def test_every_identifier_has_a_learner_written_case():
    """Adding a mistake is one catalogue entry and one case here."""
    for rule, cases in LEARNER_CASES.items():
        named = {mistake for _, mistake, _ in cases.values()}
        assert {m.name for m in mistakes.for_rule(rule)} <= named, rule
        assert {f.identifier for f in mistakes.factors_for(rule)} <= named, rule


# --- plain words -------------------------------------------------------------------------

def test_the_message_says_what_the_code_does_not_an_identifier():
    """Issue 15: a rule that sums ⟨g, s⟩ over the whole batch built no Jacobian."""
    result = smgrad.diagnose(lambda s, g: s * (g - np.sum(g * s)))
    assert result.message.startswith(
        "wrong: it sums ⟨g, s⟩ over the whole batch, not per row")
    assert "known mistake" not in result.message


def test_the_threads_mistakes_keep_their_reasons():
    """The chapters print these verdicts: the catalogue's words, never the fix."""
    for fn in (mistakes.diagonal_only, mistakes.summed_jacobian_rows,
               mistakes.flattened_batch_jacobian, mistakes.flattened_jacobian_row_sums,
               mistakes.identity_sized_by_batch):
        entry = mistakes.find(fn.__name__, "softmax")
        result = smgrad.diagnose(fn)
        assert result.mistake == entry.name
        assert result.message == f"wrong: {entry.says}: {entry.why}."
        assert result.fix == f"{entry.fix}; {smgrad.diagnosis._RULES['softmax'].formula}"


def test_elementwise_chain_rule_is_diagnosed_as_diagonal_only():
    result = smgrad.diagnose(mistakes.elementwise_chain_rule)
    assert result.mistake == "diagonal_only"
    assert "element-wise chain rule" in result.message


@pytest.mark.parametrize("backward, words", [
    (lambda s, g: -sm(s, g), "with its sign flipped"),
    (lambda s, g: sm(s, g) / len(s), "divided by the batch size N"),
    (lambda s, g: sm(s, g) * len(s), "multiplied by the batch size N"),
    (lambda s, g: sm(s, g) / s.shape[1], "divided by the number of classes n"),
    (lambda s, g: -sm(s, g) / len(s), "divided by the batch size N and with its sign "
                                      "flipped"),
    (lambda s, g: sm(s, g) * 0.5, "scaled by 0.5"),
    (lambda s, g: sm(s, g) * 1.001, "scaled by 1.001"),
], ids=["sign", "1/N", "N", "1/n", "-1/N", "0.5", "1.001"])
def test_the_message_names_the_sign_and_the_factor(backward, words):
    result = smgrad.diagnose(backward)
    assert f"it returns the correct gradient {words}" in result.message


def test_a_forgotten_temperature_is_named_as_such():
    def learner_temperature(s, g, temperature=2.0):   # softmax(x / T)'s rule, T forgot
        return s * (g - np.sum(g * s, axis=1, keepdims=True)) / temperature

    result = smgrad.diagnose(learner_temperature)
    assert (result.mistake, result.factor) == ("constant_factor", "constant")
    assert "temperature" in result.message and "1/T" in result.message
    assert "the factor 0.5" in result.fix


def test_the_fused_losss_missing_mean_is_named():
    """-t(1 - s): thread 002's element-wise chain rule through ∂L/∂s, without 1/N."""
    result = smgrad.diagnose(lambda x, t: -t * (1 - _softmax(x)), rule="cross_entropy")
    assert (result.mistake, result.factor) == ("diagonal_only", "N")
    assert "without the 1/N of the batch mean" in result.message
    assert "divide by N" in result.fix


def test_the_rules_are_told_apart():
    """Each rule's right answer is a named mistake under the other softmax rule."""
    assert smgrad.diagnose(smgrad.log_softmax_vjp).mistake == "log_softmax_rule"
    assert smgrad.diagnose(smgrad.softmax_vjp, rule="log_softmax").mistake == "softmax_rule"


def test_where_counts_from_zero_and_names_the_probe():
    result = smgrad.diagnose(lambda s, g: s * (1 - s) * g)
    assert result.where == "probe 0 (batch 3 × classes 5), index (0, 0)"

    def wrong_in_one_place(s, g):
        out = sm(s, g)
        if s.shape == (4, 4):
            out[0, 3] += 1.0
        return out

    result = smgrad.diagnose(wrong_in_one_place)
    assert result.where == "probe 1 (batch 4 × classes 4), index (0, 3)"
    assert "on probe 1 (batch 4 × classes 4), 1 of 16 entries are wrong, the largest " \
           "error at index (0, 3)" in result.message


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


PAIRS = [(rule, first, second) for rule in mistakes.RULES
         for first, second in itertools.combinations(
             [("right", smgrad.diagnosis._RULES[rule].right)]
             + [(m.name, m.backward) for m in mistakes.for_rule(rule)], 2)]


@pytest.mark.parametrize("rule, first, second", PAIRS,
                         ids=[f"{r}-{a[0]}-{b[0]}" for r, a, b in PAIRS])
def test_probes_distinguish_every_pair(rule, first, second):
    """For every pair of rules (the right one and each entry) some probe gives clearly
    different outcomes, so no rule can be mistaken for another."""
    assert any(clearly_different(outcome(first[1], *p.args), outcome(second[1], *p.args))
               for p in _probes(rule))


def test_probes_are_valid_inputs():
    for rule in ("softmax", "log_softmax"):
        probes = _probes(rule)
        for probe in probes:
            probs, grad_out = probe.args
            assert probs.dtype == grad_out.dtype == np.float64
            assert probs.shape == grad_out.shape and probs.ndim == 2
            np.testing.assert_allclose(probs.sum(axis=1), 1.0, **tolerance(np.float64))
            assert np.all(probs > 0)
        assert [p.label for p in probes] == [
            "probe 0 (batch 3 × classes 5)", "probe 1 (batch 4 × classes 4)",
            "probe 2 (batch 3 × classes 5, grad_out of ones)"]
        np.testing.assert_array_equal(probes[2].args[1], 1.0)
    batch_sizes = set()
    for probe in _probes("cross_entropy"):
        logits, targets = probe.args
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
def test_other_wrong_values_are_unknown_saying_where(backward):
    result = smgrad.diagnose(backward)
    assert result.mistake == "unknown" and result.symptom == "wrong values"
    assert_plain_wrong_verdict(result, "softmax")
    assert result.message.startswith(
        "wrong: its values match neither the correct gradient nor a known mistake: on "
        "probe ")
    assert "largest error at index" in result.message
    label, index = result.where.split(", index ")
    assert f"on {label}, " in result.message and f"at index {index}" in result.message
    # never an expected value
    assert "expected" not in result.message
    assert not re.search(r"\d\.\d\d", result.message), result.message


def test_a_missing_return_is_reported():
    def no_return(probs, grad_out):
        grad_out -= (grad_out * probs).sum(axis=1, keepdims=True)
        grad_out *= probs

    result = smgrad.diagnose(no_return)
    assert (result.status, result.mistake, result.symptom) == ("wrong", "unknown",
                                                               "returned None")
    assert result.message == "wrong: it returned None: is a `return` missing?"
    assert result.where == "probe 0 (batch 3 × classes 5)"


def test_nan_is_reported_where_it_is():
    result = smgrad.diagnose(lambda s, g: np.full_like(s, np.nan))
    assert result.mistake == "unknown" and result.symptom == "not finite"
    assert "returned nan at index (0, 0)" in result.message
    assert result.where == "probe 0 (batch 3 × classes 5), index (0, 0)"


def test_a_raising_backward_is_reported_not_raised():
    def todo(probs, grad_out):
        raise NotImplementedError("write the backward here")

    for rule in mistakes.RULES:
        result = smgrad.diagnose(todo, rule=rule)
        assert result.mistake == "unknown" and result.symptom == "raised"
        assert result.message == ("wrong: on probes 0, 1 and 2, it raised "
                                  "NotImplementedError: write the backward here")


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
    assert "returned shape (3,) for inputs of shape (3, 5)" in result.message
    assert result.message.count("a gradient has one entry per input entry") == 1
    assert result.where == "probe 0 (batch 3 × classes 5)"


def test_a_list_wrapped_result_is_reported_with_its_shape():
    """The homework's backward returns a list of gradients; as a softmax backward that
    is an array of the wrong shape."""
    def list_of_one(probs, grad_out):
        return [smgrad.softmax_vjp(probs, grad_out)]

    result = smgrad.diagnose(list_of_one)
    assert result.mistake == "unknown"
    assert "returned shape (1, 3, 5) for inputs of shape (3, 5)" in result.message


@pytest.mark.parametrize("value, words", [
    (["a", "b"], "list of text, not numbers"),
    ([[1.0, 2.0], [3.0]], "not a rectangular array"),
    (np.ones((3, 5)) * 1j, "complex"),
    ({"grad": 1.0}, "not numbers"),
], ids=["strings", "ragged", "complex", "dict"])
def test_a_result_that_is_not_numbers_is_reported(value, words):
    result = smgrad.diagnose(lambda probs, grad_out: value)
    assert result.mistake == "unknown" and result.symptom == "wrong type"
    assert words in result.message


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


def test_statuses_and_symptoms_are_listed():
    assert STATUSES == ("right", "wrong", "cannot run")
    assert {"returned None", "wrong type", "wrong shape", "raised", "not finite",
            "wrong values", "timed out"} <= set(SYMPTOMS)


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
    probes = _probes(rule)
    assert len(received) == len(probes)
    for (a, b), probe in zip(received, probes):
        np.testing.assert_array_equal(a, probe.args[0])
        np.testing.assert_array_equal(b, probe.args[1])
    assert smgrad.diagnose(vandal, rule=rule).ok   # and a second diagnosis is the same


def test_run_reports_each_kind_of_outcome():
    a, b = np.ones((2, 2)), np.ones((2, 2))
    assert _run(lambda x, y: x, a, b).kind == "ok"
    assert _run(lambda x, y: None, a, b).kind == "none"
    assert _run(lambda x, y: 1 / 0, a, b).kind == "raised"
    assert _run(lambda x, y: "text", a, b).kind == "not an array"
