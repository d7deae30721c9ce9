"""smgrad.feedback: every status (not attempted, wrong type, wrong shape, a named mistake,
wrong values, right) for values, backward rules and functions; answers judged at their
own precision; nothing raised from a learner's code; and the text never reveals the
solution (no expected value, no fix)."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

import smgrad
from smgrad import feedback
from smgrad.mistakes import RULES, for_rule

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: Distinctive expected values: their digits must never appear in feedback.
EXPECTED = np.array([[0.123456, -0.654321, 0.531975], [0.271828, -0.314159, 0.042331]])


def expected_digits(values) -> list[str]:
    """The ways an expected value could leak: 2 to 6 decimals, rounded or cut."""
    out = []
    for v in np.ravel(values):
        for d in range(2, 7):
            out.append(f"{abs(v):.{d}f}")
            out.append(f"{abs(v):.{d + 2}f}"[: d + 2])
    return sorted(set(s for s in out if s not in {"0.00", "0.000"}))


def assert_reveals_nothing(fb: feedback.Feedback, values=EXPECTED) -> None:
    for digits in expected_digits(values):
        assert digits not in fb.message, (digits, fb.message)
    assert "Fix" not in fb.message and "right rule" not in fb.message


def assert_the_learner_edition_can_read_it(fb: feedback.Feedback) -> None:
    """What tests/learner checks: right says right and no 'wrong' / 'not attempted';
    anything else has no 'right' on its first line."""
    if fb.status == "right":
        assert re.search(r"\bright\b", fb.message)
        assert not re.search(r"not attempted|\bwrong\b", fb.message, re.I)
    else:
        assert not re.search(r"\bright\b(?! rule)", fb.message.split("\n")[0], re.I), fb


def test_feedback_object():
    fb = feedback.check_value(EXPECTED, EXPECTED, name="grad")
    assert fb.status == "right" and fb and fb.name == "grad" and fb.mistake is None
    assert repr(fb) == str(fb) == fb.message == "grad: right"
    assert set(feedback.STATUSES) == {"not attempted", "wrong type", "wrong shape",
                                      "wrong", "right"}
    assert not feedback.check_value(..., EXPECTED)


# --- check_value ------------------------------------------------------------------------

def test_value_not_attempted():
    fb = feedback.check_value(..., EXPECTED, name="grad_s1_x3")
    assert fb.status == "not attempted"
    assert fb.message == "grad_s1_x3: not attempted yet (replace the ... with your answer)"
    assert "Traceback" not in fb.message


@pytest.mark.parametrize("answer, got", [
    ("0.12", "a str"), (None, "got None"), ({"a": 1}, "a dict"),
    ([[1.0, 2.0], [3.0]], "a list"), (np.ones((2, 3)) * 1j, "an array of shape (2, 3)"),
    (print, "a builtin_function_or_method"),
])
def test_value_wrong_type_says_what_is_expected(answer, got):
    fb = feedback.check_value(answer, EXPECTED, name="grad")
    assert fb.status == "wrong type", fb
    assert fb.message.startswith("grad: wrong type: expected an array of floats of shape "
                                 "(2, 3), got ")
    assert got in fb.message
    assert_reveals_nothing(fb)
    assert_the_learner_edition_can_read_it(fb)


@pytest.mark.parametrize("answer, got", [
    (np.zeros(6), "shape (6,)"), (EXPECTED.T, "shape (3, 2)"), (0.5, "a single number"),
    (EXPECTED[None], "shape (1, 2, 3)"),
])
def test_value_wrong_shape_says_the_expected_shape_only(answer, got):
    fb = feedback.check_value(answer, EXPECTED, name="grad")
    assert fb.status == "wrong shape"
    assert fb.message == f"grad: wrong shape: expected an array of floats of shape (2, 3), got {got}"
    assert_reveals_nothing(fb)


def test_value_expected_kinds_are_described():
    assert "a single number" in feedback.check_value([1.0], 0.5, name="p").message
    assert "integers of shape (2,)" in feedback.check_value("x", np.array([1, 2])).message
    assert "booleans" in feedback.check_value("x", np.array([True])).message


def test_value_named_mistake():
    sign = EXPECTED * np.array([1, -1, 1])
    fb = feedback.check_value(sign, EXPECTED, name="grad",
                              mistakes={"the middle column's sign is flipped": sign,
                                        "it is transposed": EXPECTED.T,
                                        "not an array": "abc"})
    assert fb.status == "wrong" and fb.mistake == "the middle column's sign is flipped"
    assert fb.message == "grad: wrong: the middle column's sign is flipped"
    assert_reveals_nothing(fb)
    assert_the_learner_edition_can_read_it(fb)


def test_value_wrong_values_say_where_not_what():
    answer = EXPECTED.copy()
    answer[1, 2] = 7.0
    answer[0, 1] = 0.0
    fb = feedback.check_value(answer, EXPECTED, name="grad",
                              mistakes={"unrelated": np.zeros((2, 3))})
    assert fb.status == "wrong" and fb.mistake is None
    assert fb.message == ("grad: wrong: 2 of 6 entries are wrong, the first at "
                          "index (0, 1) (indices count from 0)")
    assert_reveals_nothing(fb)
    assert_the_learner_edition_can_read_it(fb)


def test_value_nan_and_scalars():
    fb = feedback.check_value(np.full((2, 3), np.nan), EXPECTED, name="grad")
    assert fb.status == "wrong" and "nan at index (0, 0)" in fb.message
    fb = feedback.check_value(0.3, 0.123456, name="p")
    assert fb.message == "p: wrong value"
    assert_reveals_nothing(fb, [0.123456])
    assert feedback.check_value(np.float32(0.123456), 0.123456, name="p").status == "right"
    assert feedback.check_value(3, 3, name="count").status == "right"
    assert feedback.check_value(4, 3, name="count").status == "wrong"


def test_check_value_and_check_agree_on_nan():
    """Regression: check_value once called a NaN answer wrong where NaN is the right value
    (softmax of an all -inf row), while check called it right. One judge now says right
    for NaN exactly where NaN is expected, and wrong for NaN anywhere else."""
    expected = np.array([[np.nan, np.nan], [0.25, 0.75]])
    assert feedback.check_value(expected.copy(), expected, name="p").status == "right"
    assert feedback.check_value(np.array([[np.nan, 0.5], [0.25, 0.75]]), expected,
                                name="p").status == "wrong"
    assert feedback.check_value(np.array([[0.5, 0.5], [0.25, 0.75]]), expected,
                                name="p").status == "wrong"
    assert feedback.check_value(np.array([[np.nan, np.nan], [np.nan, 0.75]]), expected,
                                name="p").status == "wrong"


def test_value_lists_and_tensors_are_answers():
    torch = pytest.importorskip("torch")
    assert feedback.check_value(EXPECTED.tolist(), EXPECTED).status == "right"
    assert feedback.check_value(torch.tensor(EXPECTED), EXPECTED).status == "right"
    assert feedback.check_value(torch.tensor(EXPECTED, requires_grad=True),
                                EXPECTED).status == "right"


@pytest.mark.parametrize("dtype, error", [(np.float32, 1e-7), (np.float16, 1e-3)])
def test_value_tolerance_follows_the_answers_dtype(dtype, error):
    """A value computed in float32 or float16 is right at that precision (a zero that
    is zero up to its round-off); the same error in a float64 answer is wrong."""
    expected = np.array([0.0, 0.5, -0.25])
    off = expected + np.array([error, 0.0, 0.0])
    assert feedback.check_value(off.astype(dtype), expected).status == "right"
    assert feedback.check_value(off, expected).status == "wrong"
    assert feedback.check_value(EXPECTED.astype(dtype), EXPECTED).status == "right"
    # and a real mistake is still wrong at low precision
    assert feedback.check_value((EXPECTED * 1.1).astype(dtype), EXPECTED).status == "wrong"


# --- check_backward ---------------------------------------------------------------------

def stub(probs, grad_out):
    ...


@pytest.mark.parametrize("rule", RULES)
def test_backward_not_attempted(rule):
    for fn in (stub, ...):
        fb = feedback.check_backward(fn, rule=rule, name="my_backward")
        assert fb.status == "not attempted", fb
        assert fb.message.startswith("my_backward: not attempted yet")
        assert "Traceback" not in fb.message


def test_backward_right():
    fb = feedback.check_backward(smgrad.softmax_vjp, name="my_backward")
    assert fb.status == "right" and fb.message == "my_backward: right"
    assert feedback.check_backward(smgrad.log_softmax_vjp, rule="log_softmax").status == \
        "right"
    assert feedback.check_backward(lambda x, t: smgrad.cross_entropy_grad(x, t),
                                   rule="cross_entropy").status == "right"


FAMILIES = [(rule, family) for rule in RULES for family in for_rule(rule)]


@pytest.mark.parametrize("rule, family", FAMILIES,
                         ids=[f"{r}-{f.name}" for r, f in FAMILIES])
def test_backward_names_the_mistake_without_the_fix(rule, family):
    fb = feedback.check_backward(family.backward, rule=rule, name="my_backward")
    verdict = smgrad.diagnose(family.backward, rule=rule)
    assert fb.status == "wrong" and fb.mistake == verdict.mistake
    assert fb.message == f"my_backward: {verdict.message}"
    assert verdict.fix not in fb.message and "Fix" not in fb.message
    assert "right rule" not in fb.message
    assert_the_learner_edition_can_read_it(fb)


@pytest.mark.parametrize("backward, mistake", [
    (lambda s, g: -smgrad.softmax_vjp(s, g), "sign_flipped"),
    (lambda s, g: smgrad.softmax_vjp(s, g) / len(s), "extra_1_over_n"),
    (lambda s, g: smgrad.softmax_vjp(s, g) * 3.0, "constant_factor"),
])
def test_backward_factor_mistakes_are_named(backward, mistake):
    fb = feedback.check_backward(backward)
    assert fb.status == "wrong" and fb.mistake == mistake
    assert_the_learner_edition_can_read_it(fb)


def test_backward_wrong_values_do_not_show_the_expected_numbers():
    def half_right(s, g):
        out = smgrad.softmax_vjp(s, g)
        out[:, 0] = 0.0
        return out

    fb = feedback.check_backward(half_right, name="vjp")
    assert fb.status == "wrong" and fb.mistake is None
    assert "the first at index (0, 0) (indices count from 0)" in fb.message
    assert fb.message.startswith("vjp on probs of shape (3, 5): wrong:")
    assert "expected" not in fb.message and "got" not in fb.message
    assert not re.search(r"\d\.\d\d", fb.message), fb.message    # no values printed
    assert_the_learner_edition_can_read_it(fb)


def test_backward_wrong_shape_and_type():
    fb = feedback.check_backward(lambda s, g: (s * g).sum(axis=1), name="vjp")
    assert fb.status == "wrong shape" and "got shape (3,)" in fb.message
    fb = feedback.check_backward(lambda s, g: "grad", name="vjp")
    assert fb.status == "wrong type" and "got a str" in fb.message
    fb = feedback.check_backward(np.zeros((3, 5)), name="vjp")
    assert fb.status == "wrong type"
    assert fb.message == ("vjp: wrong type: expected a function vjp(probs, grad_out), "
                          "got an array of shape (3, 5) (float64)")
    fb = feedback.check_backward("abc", rule="cross_entropy", name="grad")
    assert "grad(logits, targets)" in fb.message


def test_backward_exceptions_are_feedback():
    def raises(s, g):
        raise ValueError("shapes do not match")

    fb = feedback.check_backward(raises, name="vjp")
    assert fb.status == "wrong"
    assert "raised ValueError: shapes do not match" in fb.message
    fb = feedback.check_backward(lambda s: s, name="vjp")
    assert fb.status == "wrong" and "TypeError" in fb.message


def test_backward_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match=r"rule='softmax_vjp' is not one of"):
        feedback.check_backward(stub, rule="softmax_vjp")


# --- check_function ---------------------------------------------------------------------

def reference(x, t):
    return smgrad.softmax(np.asarray(x) / t)


EXAMPLES = [(np.array([1.0, 2.0, 3.0]), 2.0), (np.array([[0.0, 1.0], [5.0, -1.0]]), 0.5)]


def test_function_not_attempted():
    def softmax_t(x, t):
        ...

    for fn in (softmax_t, ...):
        fb = feedback.check_function(fn, reference, EXAMPLES)
        assert fb.status == "not attempted" and fb.message.startswith("softmax_t: not")


def test_function_right_and_low_precision():
    assert feedback.check_function(reference, reference, EXAMPLES).message == \
        "softmax_t: right"

    def in_float32(x, t):
        return smgrad.softmax(np.asarray(x, np.float32) / np.float32(t))

    assert feedback.check_function(in_float32, reference, EXAMPLES).status == "right"
    one = feedback.check_function(reference, reference, [(np.ones(3), 1.0)])
    assert one.message == "softmax_t: right"


def test_function_wrong_values_name_the_example_not_the_values():
    def times_t(x, t):
        return smgrad.softmax(np.asarray(x) * t)

    fb = feedback.check_function(times_t, reference, EXAMPLES, name="softmax_t")
    assert fb.status == "wrong"
    assert fb.message.startswith("softmax_t on example 0: wrong: ")
    for args in EXAMPLES:
        assert_reveals_nothing(fb, reference(*args))
    assert_the_learner_edition_can_read_it(fb)


def test_function_right_on_the_first_example_only():
    def ignores_t(x, t):
        return smgrad.softmax(np.asarray(x) / 2.0)

    fb = feedback.check_function(ignores_t, reference, EXAMPLES)
    assert fb.message.startswith("softmax_t on example 1: wrong:")  # counted from 0


def test_function_problems_are_feedback_never_raised():
    def raises(x, t):
        raise ZeroDivisionError("t is zero")

    fb = feedback.check_function(raises, reference, EXAMPLES)
    assert fb.status == "wrong"
    assert fb.message == ("softmax_t on example 0: wrong: it raised ZeroDivisionError: "
                          "t is zero (arguments: an array of shape (3,), 2.0)")
    fb = feedback.check_function(lambda x, t: np.asarray(x).sum(), reference, EXAMPLES)
    assert fb.status == "wrong shape" and "got a single number" in fb.message
    fb = feedback.check_function(lambda x, t: "p", reference, EXAMPLES)
    assert fb.status == "wrong type"
    fb = feedback.check_function(np.ones(3), reference, EXAMPLES)
    assert fb.status == "wrong type"

    calls = []

    def none_later(x, t):
        calls.append(1)
        return reference(x, t) if len(calls) <= 1 else None  # right on example 0 only

    fb = feedback.check_function(none_later, reference, EXAMPLES)
    assert fb.status == "wrong" and "example 1" in fb.message and "return" in fb.message


def test_function_cannot_change_the_examples():
    x = np.array([1.0, 2.0])

    def vandal(x_, t):
        out = reference(x_, t)
        x_[...] = 0.0
        return out

    assert feedback.check_function(vandal, reference, [(x, 1.0)]).status == "right"
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_function_one_argument_examples_need_no_tuple():
    fb = feedback.check_function(smgrad.softmax, smgrad.softmax, [np.ones(3), np.zeros(2)],
                                 name="my_softmax")
    assert fb.message == "my_softmax: right"


# --- the one describer of wrong values (smgrad._compare.describe) ------------------------

@pytest.mark.parametrize("change, kind, words", [
    (lambda e: -e, "sign", "sign is flipped"),
    (lambda e: e / 3, "factor", "N (the batch size) times too small"),
    (lambda e: e * 5, "factor", "n (the number of classes) times too large"),
    (lambda e: e * 1.7, "factor", "off by the same factor"),
    (lambda e: np.swapaxes(e, 1, 2), "transpose", "transpose"),
    (lambda e: np.swapaxes(e, 0, 1), "axes", "axes 0 and 1 are swapped"),
    (lambda e: np.roll(e, 1, axis=2), "shift", "off by one along axis 2"),
    (lambda e: np.where(e > 1, np.nan, e), "not finite", "nan at index"),
])
def test_values_say_what_the_mistake_does(change, kind, words):
    expected = np.random.default_rng(3).standard_normal((4, 4, 4))
    fb = feedback.check_value(change(expected), expected, name="grad")
    from smgrad._compare import describe
    found = describe(change(expected), expected,
                     factors={"N (the batch size)": 3, "n (the number of classes)": 5})
    assert fb.status == "wrong" and found.kind == kind
    assert words in found.message, found.message
    if kind != "factor" or "same factor" in words:   # check_value names no N or n here
        assert words in fb.message, fb.message
    assert_reveals_nothing(fb, expected)
    assert_the_learner_edition_can_read_it(fb)


def test_a_lone_wrong_number_reveals_no_ratio():
    fb = feedback.check_value(0.3, 0.123456, name="p")
    assert fb.message == "p: wrong value"


# --- check(key, answer): the cases, one each ---------------------------------------

def test_check_judges_at_the_precision_asked():
    def lse16(x):
        return np.float16(np.logaddexp.reduce(x.astype(np.float64)))

    def lse_plus(x):
        return np.float32(np.logaddexp.reduce(x) + 0.03)

    fb = feedback.check("ch5-ex1", lse16)
    assert fb.status == "wrong type" and "a float32 answer is asked, got float16" in fb.message
    assert feedback.check("ch5-ex1", lse_plus).status == "wrong"
    assert feedback.check("ch5-ex1", lambda x: np.logaddexp.reduce(x)).status == "right"


def test_check_probes_every_promised_shape():
    def two_d_only(probs, grad_out):
        jac = probs[:, :, None] * (np.eye(probs.shape[-1]) - probs[:, None, :])
        return np.einsum("bi,bij->bj", grad_out, jac)

    fb = feedback.check("ch1-ex3", two_d_only)
    assert fb.status == "wrong" and "probs of shape (5,)" in fb.message
    assert "raised" in fb.message


def test_check_measures_memory_and_reads_loops():
    def blocks(probs, grad_out):
        jac = probs[:, :, None] * (np.eye(probs.shape[-1]) - probs[:, None, :])
        return np.einsum("bi,bij->bj", grad_out, jac)

    def looped(probs):
        return np.stack([np.diag(p) - np.outer(p, p) for p in probs.reshape(
            -1, probs.shape[-1])]).reshape(probs.shape + probs.shape[-1:])

    fb = feedback.check("ch3-ex-vjp", blocks)
    assert fb.status == "wrong" and fb.mistake == "constraint" and "MiB" in fb.message
    fb = feedback.check("ch4-ex1", looped)
    assert fb.mistake == "constraint" and "Python loop (a comprehension" in fb.message
    import tracemalloc
    tracemalloc.start()
    try:  # a learner who traces memory themselves: measured the same, left tracing
        assert feedback.check("ch3-ex-vjp", blocks).mistake == "constraint"
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_constraints_read_a_namespace_that_holds_arrays(tmp_path):
    """Regression: reading the learner's helpers compared each global an answer reads
    with those helpers, and an array there (a notebook's namespace has many) raised
    TypeError: unhashable type. Written as a learner's notebook is: functions and arrays
    side by side in one module."""
    (tmp_path / "learner_cells.py").write_text(
        "import numpy as np\n"
        "EYE = np.eye(3)\n"
        "def outer(col):\n"
        "    return col @ np.swapaxes(col, -1, -2)\n"
        "def batched_jacobian(probs):\n"
        "    col = probs[..., :, None]\n"
        "    return col * np.eye(probs.shape[-1]) - outer(col) + 0 * EYE.sum()\n"
        "def looped(probs):\n"
        "    return batched_jacobian(probs) if EYE.any() else [p for p in probs]\n")
    spec = importlib.util.spec_from_file_location("learner_cells",
                                                  tmp_path / "learner_cells.py")
    learner_cells = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(learner_cells)

    assert feedback.check("ch4-ex1", learner_cells.batched_jacobian).status == "right"
    fb = feedback.check("ch4-ex1", learner_cells.looped)
    assert fb.mistake == "constraint" and "Python loop (a comprehension" in fb.message


def test_check_says_a_return_is_missing_not_not_attempted():
    def forgot(probs, grad_out):
        probs * grad_out

    fb = feedback.check("ch3-ex-vjp", forgot)
    assert fb.status == "wrong" and "returned None: is a `return` missing?" in fb.message
    assert feedback.check("ch1-ex1", None).message == (
        "grad_s1_x3: wrong: it is None: is a `return` missing?")


def test_check_names_the_length_one_axis_too():
    fb = feedback.check("ch1-ex2", np.zeros((1, 2, 1, 1)))
    assert "axis of length 1" in fb.message and "all ones" in fb.message
