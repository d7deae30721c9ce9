"""smgrad.diagnose on backward rules written where people write them (issue 19): PyTorch
``torch.autograd.Function`` subclasses, MXNet ``mx.autograd.Function`` subclasses and
plain functions on tensors are judged exactly as numpy rules are, under each rule, in
float64 and float32: the same verdict, the same named mistake, the same message. A bad
Function (a forward that is not the rule's function, raises, returns None, a non-tensor
or the wrong shape; a backward autograd would refuse) gets a verdict of its own, never a
traceback. PyTorch is needed (the whole module skips without it); the MXNet tests carry
the ``mxnet`` marker."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import smgrad
from smgrad import mistakes
from smgrad._autograd_functions import (FunctionError, as_rule, framework_of,
                                        missing_framework)

torch = pytest.importorskip("torch")
F = torch.nn.functional

ROOT = Path(__file__).resolve().parents[1]
RULES = ("softmax", "log_softmax", "cross_entropy")

pytestmark = pytest.mark.filterwarnings("error")


# --- Functions made from numpy rules: the same computation, in a Function's backward ------

def _numpy_grad(formula, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``formula`` on the tensors' values, returned as a tensor of ``a``'s dtype (as
    autograd would cast it)."""
    value = formula(a.detach().numpy().copy(), b.detach().numpy().copy())
    return torch.from_numpy(np.asarray(value, dtype=np.float64)).to(a.dtype)


def torch_function(formula, rule: str) -> type:
    """A ``torch.autograd.Function`` whose forward is the rule's function and whose
    backward computes the numpy rule ``formula`` on what it saved."""
    if rule == "cross_entropy":
        def forward(ctx, logits, targets):
            ctx.save_for_backward(logits, targets)
            return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()

        def backward(ctx, grad_loss):
            logits, targets = ctx.saved_tensors
            return grad_loss * _numpy_grad(formula, logits, targets), None
    else:
        def forward(ctx, x):
            probs = torch.softmax(x, dim=-1)
            ctx.save_for_backward(probs)
            return probs if rule == "softmax" else torch.log_softmax(x, dim=-1)

        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return _numpy_grad(formula, probs, grad_out)

    name = getattr(formula, "__name__", "rule").strip("<>")
    return type(f"Function_{name}", (torch.autograd.Function,),
                {"forward": staticmethod(forward), "backward": staticmethod(backward)})


def _ce_grad(logits, targets):
    return smgrad.cross_entropy_grad(logits, targets)


def _sm_by_rows(probs, grad_out):
    return np.stack([(np.diag(s) - np.outer(s, s)) @ g for s, g in zip(probs, grad_out)])


def _lsm_by_jacobian(probs, grad_out):
    jacobians = np.eye(probs.shape[1])[None] - probs[:, None, :]
    return np.einsum("bi,bij->bj", grad_out, jacobians)


def _ce_index_trick(logits, targets):
    grad = smgrad.softmax(logits)
    grad[np.arange(len(logits)), targets.argmax(axis=1)] -= 1
    return grad / len(logits)


RIGHT = {"softmax": [smgrad.softmax_vjp, _sm_by_rows],
         "log_softmax": [smgrad.log_softmax_vjp, _lsm_by_jacobian],
         "cross_entropy": [_ce_grad, _ce_index_trick]}
RIGHT_NUMPY = [(rule, fn) for rule, fns in RIGHT.items() for fn in fns]


@pytest.mark.parametrize("rule, formula", RIGHT_NUMPY,
                         ids=[f"{r}-{f.__name__}" for r, f in RIGHT_NUMPY])
def test_right_rules_as_functions_are_right(rule, formula):
    result = smgrad.diagnose(torch_function(formula, rule), rule=rule)
    assert result.ok, result.message
    assert result == smgrad.diagnose(formula, rule=rule)


def _times(factor, rule: str):
    """The right rule times ``factor`` (0.5 for the free constant)."""
    def scaled(a, b):
        rows, n = a.shape
        return RIGHT[rule][0](a, b) * (factor.value(rows, n) if factor.value else 0.5)
    scaled.__name__ = factor.identifier
    return scaled


#: Every catalogue entry and every factor, under each rule: (rule, name, numpy rule).
FAMILIES = [(rule, m.name, m.backward) for rule in RULES for m in mistakes.for_rule(rule)]
FAMILIES += [(rule, f.identifier, _times(f, rule)) for rule in RULES
             for f in mistakes.factors_for(rule)]


@pytest.mark.parametrize("rule, name, formula", FAMILIES,
                         ids=[f"{r}-{n}" for r, n, _ in FAMILIES])
def test_every_family_as_a_function_is_named_as_the_numpy_rule(rule, name, formula):
    """The same verdict, field for field, as for the numpy rule."""
    result = smgrad.diagnose(torch_function(formula, rule), rule=rule)
    numpy_verdict = smgrad.diagnose(formula, rule=rule)
    assert not result.ok and result.mistake == numpy_verdict.mistake != "unknown"
    assert result == numpy_verdict      # message, factor, where, fix ...


# --- Functions as people write them -------------------------------------------------------

class Softmax(torch.autograd.Function):
    """Softmax along the last dim, its backward the vector-Jacobian product."""

    @staticmethod
    def forward(ctx, x):
        probs = torch.softmax(x, dim=-1)
        ctx.save_for_backward(probs)
        return probs

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))


class SoftmaxByHand(torch.autograd.Function):
    """The forward written out, stable, and the backward with one Jacobian per row."""

    @staticmethod
    def forward(ctx, x):
        e = torch.exp(x - x.max(dim=-1, keepdim=True).values)
        probs = e / e.sum(dim=-1, keepdim=True)
        ctx.save_for_backward(probs)
        return probs

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        jacobians = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
        return (grad_out.unsqueeze(-2) @ jacobians).squeeze(-2)


class SoftmaxWithDim(torch.autograd.Function):
    """``forward(ctx, x, dim)``: diagnose passes ``dim=-1``; backward returns a gradient
    per input (None for ``dim``)."""

    @staticmethod
    def forward(ctx, x, dim):
        probs = torch.softmax(x, dim=dim)
        ctx.save_for_backward(probs)
        ctx.dim = dim
        return probs

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        inner = (grad_out * probs).sum(dim=ctx.dim, keepdim=True)
        return probs * (grad_out - inner), None


class SoftmaxSetupContext(torch.autograd.Function):
    """The newer style: ``forward`` without ``ctx``, and ``setup_context``."""

    @staticmethod
    def forward(x):
        return torch.softmax(x, dim=-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))


class LogSoftmax(Softmax):
    """Softmax's forward (it saves the probabilities), its log; log_softmax's rule."""

    @staticmethod
    def forward(ctx, x):
        return Softmax.forward(ctx, x).log()

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return grad_out - probs * grad_out.sum(dim=-1, keepdim=True)


class CrossEntropyOneHot(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, targets):
        ctx.save_for_backward(torch.softmax(logits, dim=-1), targets)
        return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()

    @staticmethod
    def backward(ctx, grad_loss):
        probs, targets = ctx.saved_tensors
        return grad_loss * (probs - targets) / probs.shape[0], None


class CrossEntropyIndices(torch.autograd.Function):
    """Targets as class indices (int64), as ``F.cross_entropy`` takes them."""

    @staticmethod
    def forward(ctx, logits, labels):
        ctx.save_for_backward(torch.softmax(logits, dim=-1), labels)
        return F.cross_entropy(logits, labels)

    @staticmethod
    def backward(ctx, grad_loss):
        probs, labels = ctx.saved_tensors
        grad = probs.clone()
        grad[torch.arange(len(labels)), labels] -= 1
        return grad_loss * grad / len(labels), None


RIGHT_FUNCTIONS = [(Softmax, "softmax"), (SoftmaxByHand, "softmax"),
                   (SoftmaxWithDim, "softmax"), (SoftmaxSetupContext, "softmax"),
                   (LogSoftmax, "log_softmax"), (CrossEntropyOneHot, "cross_entropy"),
                   (CrossEntropyIndices, "cross_entropy")]


@pytest.mark.parametrize("function, rule", RIGHT_FUNCTIONS,
                         ids=[f.__name__ for f, _ in RIGHT_FUNCTIONS])
def test_right_functions_are_right(function, rule):
    result = smgrad.diagnose(function, rule=rule)
    assert result.ok, result.message
    reference = {"softmax": "softmax_vjp", "log_softmax": "log_softmax_vjp",
                 "cross_entropy": "cross_entropy_grad"}[rule]
    assert result.message.startswith(f"correct: matches {reference} on all 3 probes")


def test_apply_is_taken_for_its_function():
    assert smgrad.diagnose(Softmax.apply).ok
    assert smgrad.diagnose(SoftmaxDiagonal.apply).mistake == "diagonal_only"


def test_a_right_function_is_called_in_float64_and_float32():
    seen = []

    class Watched(Softmax):
        @staticmethod
        def forward(ctx, x):
            seen.append(x.dtype)
            return Softmax.forward(ctx, x)

    assert smgrad.diagnose(Watched).ok
    assert set(seen) == {torch.float64, torch.float32}


def test_a_function_right_in_float64_only_is_wrong_in_float32():
    class HalvedInFloat32(Softmax):
        @staticmethod
        def backward(ctx, grad_out):
            grad = Softmax.backward(ctx, grad_out)
            return grad if grad.dtype == torch.float64 else grad / 2

    result = smgrad.diagnose(HalvedInFloat32)
    assert not result.ok and result.mistake == "constant_factor"
    assert result.message.startswith("wrong in float32 (right in float64): ")
    assert result.where.endswith(", in float32")


def test_a_function_computing_in_float32_is_judged_at_float32():
    class Float32Inside(Softmax):
        @staticmethod
        def backward(ctx, grad_out):
            return Softmax.backward(ctx, grad_out.float()).float()

    result = smgrad.diagnose(Float32Inside)
    assert result.ok and "float32" in result.message


# The threads' mistakes, as a learner writes them inside a Function.

class SoftmaxDiagonal(Softmax):
    """Threads 001 and 002: the Jacobian's diagonal only."""

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return probs * (1 - probs) * grad_out


class SoftmaxFlattened(Softmax):
    """Thread 003's recipe: one Jacobian for the flattened batch, rows summed, times g."""

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        flat = probs.flatten()
        jacobian = torch.diagflat(flat) - torch.outer(flat, flat)
        return jacobian.sum(dim=-1, keepdim=True).reshape(probs.shape) * grad_out


class SoftmaxEyeOfBatch(Softmax):
    """Thread 001: an identity sized by the batch (raises when batch != classes)."""

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return probs * (torch.eye(probs.shape[0], dtype=probs.dtype) - probs) * grad_out


class SoftmaxRowSums(Softmax):
    """Threads 002 and 003: each row's Jacobian summed, times g (zeros)."""

    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        jacobians = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
        return jacobians.sum(dim=-1) * grad_out


class SoftmaxWithoutKeepdim(Softmax):
    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return probs * (grad_out - (grad_out * probs).sum(dim=-1))


class CrossEntropySummedGradient(CrossEntropyOneHot):
    """The mean's 1/N forgotten in the backward."""

    @staticmethod
    def backward(ctx, grad_loss):
        probs, targets = ctx.saved_tensors
        return grad_loss * (probs - targets), None


class LogSoftmaxTransposed(LogSoftmax):
    @staticmethod
    def backward(ctx, grad_out):
        (probs,) = ctx.saved_tensors
        return grad_out - (grad_out * probs).sum(dim=-1, keepdim=True)


NAMED = [(SoftmaxDiagonal, "softmax", "diagonal_only"),
         (SoftmaxFlattened, "softmax", "flattened_jacobian_row_sums"),
         (SoftmaxEyeOfBatch, "softmax", "identity_sized_by_batch"),
         (SoftmaxRowSums, "softmax", "summed_jacobian_rows"),
         (SoftmaxWithoutKeepdim, "softmax", "missing_keepdims"),
         (Softmax, "log_softmax", None),   # forward is softmax: not judged as log_softmax
         (CrossEntropySummedGradient, "cross_entropy", "missing_1_over_n"),
         (LogSoftmaxTransposed, "log_softmax", "transposed_jacobian")]


@pytest.mark.parametrize("function, rule, name", [n for n in NAMED if n[2]],
                         ids=[f.__name__ for f, _, n in NAMED if n])
def test_mistakes_written_in_a_function_are_named(function, rule, name):
    result = smgrad.diagnose(function, rule=rule)
    assert not result.ok and result.mistake == name, result.message
    assert result.status == "wrong" and result.message.startswith("wrong: ")


def test_the_threads_mistakes_keep_their_messages_as_functions():
    """Word for word the numpy mistake's verdict (the chapters print these)."""
    for function, numpy_rule in [(SoftmaxDiagonal, mistakes.diagonal_only),
                                 (SoftmaxFlattened, mistakes.flattened_jacobian_row_sums),
                                 (SoftmaxEyeOfBatch, mistakes.identity_sized_by_batch),
                                 (SoftmaxRowSums, mistakes.summed_jacobian_rows)]:
        assert smgrad.diagnose(function) == smgrad.diagnose(numpy_rule)


# --- bad Functions: a clear verdict, never a traceback ------------------------------------

def softmax_function(forward=None, backward=None, base=Softmax) -> type:
    body = {}
    if forward is not None:
        body["forward"] = staticmethod(forward)
    if backward is not None:
        body["backward"] = staticmethod(backward)
    return type("Mine", (base,), body)


def _sigmoid_forward(ctx, x):
    out = torch.sigmoid(x)
    ctx.save_for_backward(out)
    return out


def _raise(*args):
    raise ValueError("not yet")


BAD = {
    "forward is sigmoid": (softmax_function(forward=_sigmoid_forward), "softmax",
                           "wrong forward", "its forward is not softmax"),
    "forward is softmax, rule log_softmax": (Softmax, "log_softmax", "wrong forward",
                                             "its forward is not log_softmax"),
    "forward along dim 0": (softmax_function(forward=lambda ctx, x: torch.softmax(x, 0)),
                            "softmax", "wrong forward", "its forward is not softmax"),
    "forward raises": (softmax_function(forward=_raise), "softmax", "raised",
                       "its forward raised ValueError: not yet"),
    "forward returns None": (softmax_function(forward=lambda ctx, x: None), "softmax",
                             "returned None", "its forward returned None"),
    "forward returns numpy": (softmax_function(
        forward=lambda ctx, x: torch.softmax(x, -1).detach().numpy()), "softmax",
        "wrong type", "its forward returned an array of shape (3, 5) (float64), not a "
                      "PyTorch tensor"),
    "forward returns a list": (softmax_function(
        forward=lambda ctx, x: torch.softmax(x, -1).tolist()), "softmax",
        "wrong type", "its forward returned a list"),
    "forward wrong shape": (softmax_function(
        forward=lambda ctx, x: torch.softmax(x, -1).sum(-1)), "softmax",
        "wrong shape", "its forward returned shape (3,) for inputs of shape (3, 5)"),
    "backward raises": (softmax_function(backward=_raise), "softmax", "raised",
                        "raised ValueError: not yet"),
    "backward returns None": (softmax_function(backward=lambda ctx, g: None), "softmax",
                              "returned None", "returned None"),
    "backward returns numpy": (softmax_function(backward=lambda ctx, g: g.numpy()),
                               "softmax", "wrong type",
                               "its backward returned an array of shape (3, 5) (float64), "
                               "not a PyTorch tensor"),
    "backward wrong shape": (softmax_function(backward=lambda ctx, g: g.sum(-1)),
                             "softmax", "wrong shape",
                             "it returned shape (3,) for inputs of shape (3, 5)"),
    "backward returns two gradients": (softmax_function(backward=lambda ctx, g: (g, g)),
                                       "softmax", "wrong type",
                                       "its backward returned 2 gradients for the 1 "
                                       "input(s) of forward"),
    "no backward": (type("NoBackward", (torch.autograd.Function,),
                         {"forward": staticmethod(lambda ctx, x: torch.softmax(x, -1))}),
                    "softmax", "raised", "NotImplementedError"),
    "loss summed": (softmax_function(
        forward=lambda ctx, x, t: -(t * torch.log_softmax(x, -1)).sum(),
        base=CrossEntropyOneHot), "cross_entropy", "wrong forward",
        "it returns the loss summed over the rows, 3 times the mean"),
    "loss per row": (softmax_function(
        forward=lambda ctx, x, t: -(t * torch.log_softmax(x, -1)).sum(-1),
        base=CrossEntropyOneHot), "cross_entropy", "wrong shape",
        "its forward returned shape (3,)"),
    "loss backward without None for targets": (softmax_function(
        backward=lambda ctx, g: CrossEntropyOneHot.backward(ctx, g)[0],
        base=CrossEntropyOneHot), "cross_entropy", "wrong type",
        "its backward returned one value for the 2 inputs of forward"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_functions_get_a_clear_verdict(case):
    function, rule, symptom, words = BAD[case]
    result = smgrad.diagnose(function, rule=rule)
    assert not result.ok and result.mistake == "unknown", result.message
    assert result.status == "wrong" and result.symptom == symptom, result.message
    assert result.symptom in smgrad.diagnosis.SYMPTOMS
    assert words in result.message and result.message.startswith("wrong: ")
    assert "Traceback" not in result.message and result.fix
    assert result.where.startswith("probe 0 (batch 3 × classes 5)")


def test_a_forward_that_is_not_softmax_names_no_backward_mistake():
    """Its backward is the diagonal-only mistake, but of a different function."""
    function = softmax_function(forward=_sigmoid_forward, base=SoftmaxDiagonal)
    result = smgrad.diagnose(function)
    assert result.symptom == "wrong forward" and "diagonal" not in result.message
    assert result.where == "probe 0 (batch 3 × classes 5)"
    assert result.fix.startswith("make forward compute softmax(x) along the last axis")


class Stub(torch.autograd.Function):
    """The learner edition's stub of chapter 4's exercise."""

    @staticmethod
    def forward(ctx, x):
        ...

    @staticmethod
    def backward(ctx, grad_out):
        ...


def test_the_exercise_on_a_function_gives_feedback():
    """ch4-ex4 (smgrad.exercises) adapts the class with ``as_rule``."""
    from smgrad import feedback

    assert feedback.check("ch4-ex4", Stub).status == "not attempted"
    assert feedback.check("ch4-ex4", LogSoftmax).status == "right"
    verdict = feedback.check("ch4-ex4", LogSoftmaxTransposed)
    assert verdict.status == "wrong" and verdict.mistake == "transposed_jacobian"
    softmax_forward = feedback.check("ch4-ex4", Softmax)
    assert softmax_forward.status == "wrong" and softmax_forward.mistake == "function"
    assert "wrong: its forward is not log_softmax" in softmax_forward.message
    assert "Traceback" not in softmax_forward.message
    assert "FunctionError" not in softmax_forward.message


def test_as_rule_never_raises_itself():
    for answer in (None, 3, "MySoftmax", lambda s, g: g, Stub):
        rule = as_rule(answer)
        assert callable(rule)
    with pytest.raises(TypeError, match="not a subclass of torch.autograd.Function"):
        as_rule(3)(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(FunctionError, match="its forward returned None"):
        as_rule(Stub)(np.full((2, 2), 0.5), np.ones((2, 2)))


# --- plain functions on tensors -----------------------------------------------------------

def keepdim_rule(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))


def torch_sum_rule(probs, grad_out):
    return probs * (grad_out - torch.sum(grad_out * probs, dim=-1, keepdim=True))


def unsqueeze_rule(probs, grad_out):
    jacobians = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
    return torch.einsum("bi,bij->bj", grad_out, jacobians)


def torch_diagonal_rule(probs, grad_out):
    return probs * (1 - probs) * grad_out


def torch_log_softmax_rule(probs, grad_out):
    return grad_out - probs * grad_out.sum(dim=-1, keepdim=True)


def torch_loss_rule(logits, targets):
    return (torch.softmax(logits, dim=-1) - targets) / logits.shape[0]


@pytest.mark.parametrize("fn, rule, mistake", [
    (keepdim_rule, "softmax", None), (torch_sum_rule, "softmax", None),
    (unsqueeze_rule, "softmax", None), (torch_diagonal_rule, "softmax", "diagonal_only"),
    (torch_log_softmax_rule, "log_softmax", None), (torch_loss_rule, "cross_entropy", None),
    (torch_log_softmax_rule, "softmax", "log_softmax_rule"),
    (lambda s, g: -keepdim_rule(s, g), "softmax", "sign_flipped"),
    (lambda s, g: s * (g - (g * s).sum(dim=0, keepdim=True)), "softmax", "wrong_axis"),
], ids=["keepdim", "torch.sum", "unsqueeze", "elementwise", "log_softmax",
        "cross_entropy", "other-rule", "sign", "axis"])
def test_plain_functions_on_tensors_are_judged(fn, rule, mistake):
    result = smgrad.diagnose(fn, rule=rule)
    assert result.mistake == mistake, result.message
    assert result.ok == (mistake is None)


def test_numpy_errors_are_not_taken_for_tensor_code():
    """A numpy rule with a bug of its own is judged on numpy arrays, its error shown."""
    def typo(probs, grad_out):
        return probs * (grad_out - (grad_out * probs).sum(axes=-1, keepdims=True))

    def missing_method(probs, grad_out):
        return probs.no_such_method()

    result = smgrad.diagnose(typo)
    assert result.symptom == "raised" and "unexpected keyword argument 'axes'" in result.message
    result = smgrad.diagnose(missing_method)
    assert result.symptom == "raised"
    assert "'numpy.ndarray' object has no attribute 'no_such_method'" in result.message


def test_recognition_reads_class_names_only():
    assert framework_of(Softmax) == "torch" and framework_of(Softmax.apply) == "torch"
    assert framework_of(smgrad.softmax_vjp) is None and framework_of(object()) is None
    with pytest.warns(DeprecationWarning):       # PyTorch frowns on instances
        instance = Softmax()
    assert framework_of(instance) == "torch"
    assert framework_of(torch.autograd.Function) is None       # the base itself
    assert framework_of(type("Function", (), {})) is None


def test_a_numpy_rule_does_not_import_a_framework():
    code = textwrap.dedent("""
        import sys, smgrad
        assert smgrad.diagnose(smgrad.softmax_vjp).ok
        assert smgrad.diagnose(lambda s, g: s.no_method()).symptom == "raised"
        print(sorted(m for m in ("torch", "mxnet") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_missing_framework_messages():
    assert "MXNet is not installed" in missing_framework(
        ModuleNotFoundError("No module named 'mxnet'", name="mxnet"))
    assert "PyTorch is not installed" in missing_framework(
        ModuleNotFoundError("No module named 'torch.nn'", name="torch.nn"))
    assert missing_framework(ModuleNotFoundError("x", name="scipy")) is None
    assert missing_framework(ValueError("mxnet")) is None


# --- the command line, on a file holding a Function class -------------------------------

def _layer() -> str:
    """A file defining three of this module's Functions, as a user's layer.py would."""
    sources = [inspect.getsource(f) for f in (Softmax, SoftmaxDiagonal, CrossEntropyIndices)]
    return "\n\n".join(["import torch\n\nF = torch.nn.functional"] + sources)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # --timeout: PyTorch's import counts against it, and this is not a test of it
    return subprocess.run([sys.executable, "-W", "error", "-m", "smgrad", "diagnose",
                           "--timeout", "120", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


@pytest.fixture()
def layer(tmp_path):
    path = tmp_path / "layer.py"
    path.write_text(_layer())
    return path


def test_cli_takes_a_function_class(layer):
    done = run_cli(f"{layer}:Softmax")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("correct: matches softmax_vjp on all 3 probes")
    assert done.stderr == ""


def test_cli_names_the_mistake_of_a_function_class(layer):
    done = run_cli(f"{layer}:SoftmaxDiagonal", "--json")
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["mistake"] == "diagonal_only" and verdict["ok"] is False
    assert "Traceback" not in done.stderr


def test_cli_on_a_loss_function_with_class_indices(layer):
    done = run_cli(f"{layer}:CrossEntropyIndices", "--rule", "cross_entropy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_says_when_a_file_needs_a_framework_that_is_missing(tmp_path):
    path = tmp_path / "mx_layer.py"
    path.write_text("raise ModuleNotFoundError(\"No module named 'mxnet'\", "
                    "name='mxnet')\n")
    done = run_cli(f"{path}:MySoftmax")
    assert done.returncode == 2
    assert "MXNet is not installed in this environment" in done.stderr
    assert "Traceback" not in done.stderr


# --- MXNet --------------------------------------------------------------------------------

def mxnet_function(mx, formula, rule: str) -> type:
    """An ``mx.autograd.Function`` whose forward is the rule's function and whose
    backward computes the numpy rule ``formula``."""

    def as_nd(value, like):
        return mx.nd.array(np.asarray(value, dtype=np.float64), dtype=like.dtype)

    class Made(mx.autograd.Function):
        def forward(self, x, targets=None):
            if rule == "cross_entropy":
                self.save_for_backward(x, targets)
                loss = -(targets * mx.nd.log_softmax(x, axis=-1)).sum(axis=-1).mean()
                return loss
            probs = mx.nd.softmax(x, axis=-1)
            self.save_for_backward(probs)
            return probs if rule == "softmax" else mx.nd.log_softmax(x, axis=-1)

        def backward(self, grad):
            a, *rest = self.saved_tensors
            if rule == "cross_entropy":
                (targets,) = rest
                value = formula(a.asnumpy(), targets.asnumpy())
                return grad * as_nd(value, a), targets.zeros_like()
            return as_nd(formula(a.asnumpy(), grad.asnumpy()), a)

    return Made


MXNET_FAMILIES = FAMILIES


@pytest.mark.mxnet
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("rule, name, formula", MXNET_FAMILIES,
                         ids=[f"{r}-{n}" for r, n, _ in MXNET_FAMILIES])
def test_mxnet_functions_are_named_as_numpy_rules(mx, rule, name, formula):
    result = smgrad.diagnose(mxnet_function(mx, formula, rule), rule=rule)
    assert not result.ok and result == smgrad.diagnose(formula, rule=rule)


@pytest.mark.mxnet
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("rule", RULES)
def test_right_mxnet_functions_are_right(mx, rule):
    result = smgrad.diagnose(mxnet_function(mx, RIGHT[rule][1], rule), rule=rule)
    assert result.ok, result.message
    assert framework_of(mxnet_function(mx, RIGHT[rule][1], rule)) == "mxnet"


@pytest.mark.mxnet
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_mxnet_function_written_by_hand(mx, capfd):
    class MySoftmax(mx.autograd.Function):
        def forward(self, x):
            probs = mx.nd.softmax(x, axis=-1)
            self.save_for_backward(probs)
            return probs

        def backward(self, grad_out):
            (probs,) = self.saved_tensors
            return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))

    class Diagonal(MySoftmax):
        def backward(self, grad_out):
            (probs,) = self.saved_tensors
            return probs * (1 - probs) * grad_out

    class Raises(MySoftmax):
        def backward(self, grad_out):
            raise ValueError("not yet")

    class Sigmoid(MySoftmax):
        def forward(self, x):
            return mx.nd.sigmoid(x)

    class NotAnArray(MySoftmax):
        def forward(self, x):
            return x.asnumpy()

    class Picked(mx.autograd.Function):     # targets as float class indices
        def forward(self, logits, labels):
            self.save_for_backward(mx.nd.softmax(logits, axis=-1), labels)
            return -mx.nd.pick(mx.nd.log_softmax(logits, axis=-1), labels).mean()

        def backward(self, grad_loss):
            probs, labels = self.saved_tensors
            onehot = mx.nd.one_hot(labels, probs.shape[-1], dtype=probs.dtype)
            return grad_loss * (probs - onehot) / probs.shape[0], labels.zeros_like()

    assert smgrad.diagnose(MySoftmax).ok
    assert smgrad.diagnose(Diagonal).mistake == "diagonal_only"
    assert smgrad.diagnose(Picked, rule="cross_entropy").ok
    raised = smgrad.diagnose(Raises)
    assert raised.symptom == "raised" and "ValueError: not yet" in raised.message
    assert smgrad.diagnose(Sigmoid).symptom == "wrong forward"
    wrong_type = smgrad.diagnose(NotAnArray)
    assert wrong_type.symptom == "wrong type" and "not an MXNet NDArray" in wrong_type.message
    out, err = capfd.readouterr()
    assert out == "" and err == ""      # MXNet printed no traceback of the learner's error


@pytest.mark.skipif(importlib.util.find_spec("mxnet") is not None,
                    reason="MXNet is installed here")
def test_cli_on_an_mxnet_file_where_mxnet_is_missing(tmp_path):
    path = tmp_path / "mx_layer.py"
    path.write_text("import mxnet as mx\n\n\nclass MySoftmax(mx.autograd.Function):\n"
                    "    pass\n")
    done = run_cli(f"{path}:MySoftmax")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("cannot run: importing ")
    assert "MXNet is not installed in this environment (MXNet 1.9.1 needs numpy" \
        in done.stderr
