"""Tests for smgrad.autograd: gradients against PyTorch and finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import smgrad
from oracles import F, needs_torch, torch
from smgrad import mistakes
from smgrad.autograd import Tensor, cross_entropy, nll_of_probs
from smgrad.check import numerical_jacobian, numerical_vjp

# Example counts and derandomization come from the Hypothesis profile in conftest.py
# ("ci" by default); the whole file runs in about 10 s.


def assert_close(ours, theirs, rtol=1e-10):
    """Equal to round-off in float64, relative to the size of the values compared."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


def leaf(a):
    return Tensor(a, requires_grad=True)


def tleaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------------- random graphs
# A graph is a start tensor x of shape (rows, cols) and a list of steps; each step maps
# the current 2-D tensor h to a new 2-D tensor, possibly with a new leaf. The same steps
# run in smgrad.autograd (lib="ours") and PyTorch (lib="torch").

def _shape_after(step, shape):
    name, arg = step
    rows, cols = shape
    if name == "matmul":
        return (rows, arg.shape[1])
    if name in ("sum", "mean"):
        axis = arg
        return (1 if axis in (0, None) else rows, 1 if axis in (1, None) else cols)
    if name in ("add", "sub", "mul", "rsub_const"):
        return np.broadcast_shapes(shape, arg.shape)
    return shape


def _apply(step, h, lib, leaves):
    name, arg = step
    ours = lib == "ours"
    if name in ("add", "sub", "mul", "matmul"):
        other = leaves[id(arg)]
        return {"add": lambda: h + other, "sub": lambda: other - h,
                "mul": lambda: h * other, "matmul": lambda: h @ other}[name]()
    if name == "rsub_const":            # a numpy array on the left of a Tensor
        return arg - h if ours else torch.tensor(arg) - h
    if name in ("sum", "mean"):
        if ours:
            return getattr(h, name)(axis=arg, keepdims=True)
        dims = (0, 1) if arg is None else arg
        return getattr(torch, name)(h, dim=dims, keepdim=True)
    if name == "softmax":
        return h.softmax(axis=arg) if ours else torch.softmax(h, dim=arg)
    if name == "log_softmax":
        return h.log_softmax(axis=arg) if ours else torch.log_softmax(h, dim=arg)
    if name == "relu":
        return h.relu() if ours else torch.relu(h)
    if name == "exp":
        return h.exp()
    if name == "log":                   # log of something positive, reusing h twice
        return (h * h + 1.0).log()
    if name == "reuse":                 # h feeds two nodes that meet again
        return h * (h.softmax(axis=-1) if ours else torch.softmax(h, dim=-1))
    if name == "neg":
        return -h
    raise AssertionError(name)


@st.composite
def graphs(draw, max_steps=4):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    x = rng.uniform(-1, 1, shape)
    names = draw(st.lists(st.sampled_from(
        ["add", "sub", "mul", "matmul", "rsub_const", "sum", "mean", "softmax",
         "log_softmax", "relu", "exp", "log", "reuse", "neg"]),
        min_size=1, max_size=max_steps))
    steps, current = [], shape
    for name in names:
        rows, cols = current
        if name in ("add", "sub", "mul", "rsub_const"):
            # the other operand broadcasts against h, or h against it (rows from x)
            other_shape = draw(st.sampled_from(
                [(rows, cols), (cols,), (1, cols), (rows, 1), (), (shape[0], cols),
                 (shape[0], 1)]))
            arg = rng.uniform(-1, 1, other_shape)
        elif name == "matmul":
            arg = rng.uniform(-1, 1, (cols, draw(st.integers(1, 4))))
        elif name in ("sum", "mean"):
            arg = draw(st.sampled_from([0, 1, None]))
        elif name in ("softmax", "log_softmax"):
            arg = draw(st.sampled_from([0, -1]))
        else:
            arg = None
        steps.append((name, arg))
        current = _shape_after(steps[-1], current)
    grad_out = rng.standard_normal(current)
    return x, steps, grad_out


def _param_arrays(steps):
    return [arg for name, arg in steps if name in ("add", "sub", "mul", "matmul")]


def run_ours(x, steps, grad_out=None):
    h = xt = leaf(x)
    leaves = {id(a): leaf(a) for a in _param_arrays(steps)}
    for step in steps:
        h = _apply(step, h, "ours", leaves)
    if grad_out is not None:
        h.backward(grad_out)
    return h, [xt] + [leaves[id(a)] for a in _param_arrays(steps)]


def run_torch(x, steps, grad_out):
    h = xt = tleaf(x)
    leaves = {id(a): tleaf(a) for a in _param_arrays(steps)}
    for step in steps:
        h = _apply(step, h, "torch", leaves)
    h.backward(torch.tensor(grad_out))
    return h, [xt] + [leaves[id(a)] for a in _param_arrays(steps)]


@needs_torch
@given(graphs())
def test_random_graph_matches_torch(graph):
    x, steps, grad_out = graph
    out, ours = run_ours(x, steps, grad_out)
    out_t, theirs = run_torch(x, steps, grad_out)
    assert_close(out.data, out_t.detach().numpy())
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad.numpy())


@needs_torch
@given(graphs())
def test_random_graph_scalar_loss_matches_torch(graph):
    x, steps, _ = graph
    out, ours = run_ours(x, steps)
    out.mean().backward()
    h = xt = tleaf(x)
    leaves = {id(a): tleaf(a) for a in _param_arrays(steps)}
    for step in steps:
        h = _apply(step, h, "torch", leaves)
    h.mean().backward()
    for a, b in zip(ours, [xt] + [leaves[id(a)] for a in _param_arrays(steps)]):
        assert_close(a.grad, b.grad.numpy())


@given(graphs(max_steps=3))
def test_random_graph_matches_finite_differences(graph):
    x, steps, grad_out = graph
    _, (xt, *params) = run_ours(x, steps, grad_out)

    def f(z):
        h = Tensor(z)
        leaves = {id(a): Tensor(a) for a in _param_arrays(steps)}
        for step in steps:
            h = _apply(step, h, "ours", leaves)
        return h.data

    numeric = numerical_vjp(f, x, grad_out)
    np.testing.assert_allclose(xt.grad, numeric, rtol=1e-5,
                               atol=1e-6 * max(1.0, np.abs(numeric).max()))


# ---------------------------------------------------------------------- single operations
@needs_torch
@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       st.sampled_from(["+", "-", "*"]), st.integers(0, 2**32 - 1))
def test_broadcasting_gradients_sum_back_to_each_input(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes)
    g = rng.standard_normal(shapes.result_shape)
    fn = {"+": lambda u, v: u + v, "-": lambda u, v: u - v, "*": lambda u, v: u * v}[op]
    ta, tb, qa, qb = leaf(a), leaf(b), tleaf(a), tleaf(b)
    fn(ta, tb).backward(g)
    fn(qa, qb).backward(torch.tensor(g))
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    assert_close(ta.grad, qa.grad.numpy())
    assert_close(tb.grad, qb.grad.numpy())


@needs_torch
@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((4, 2, 3), (3, 2)), ((2, 3), (5, 3, 2)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2)),
])
def test_matmul_matches_torch(shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ta, tb, qa, qb = leaf(a), leaf(b), tleaf(a), tleaf(b)
    out, out_t = ta @ tb, qa @ qb
    g = rng.standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    assert out.shape == tuple(out_t.shape)
    assert_close(ta.grad, qa.grad.numpy())
    assert_close(tb.grad, qb.grad.numpy())


@needs_torch
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data(),
       st.sampled_from(["sum", "mean"]), st.booleans())
def test_reductions_match_torch(shape, data, name, keepdims):
    ndim = len(shape)
    axis = data.draw(st.one_of(
        st.none(), st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
        .map(tuple)))
    x = np.random.default_rng(ndim).standard_normal(shape)
    t, q = leaf(x), tleaf(x)
    out = getattr(t, name)(axis=axis, keepdims=keepdims)
    dims = tuple(range(ndim)) if axis is None else axis
    out_t = getattr(torch, name)(q, dim=dims, keepdim=keepdims)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    assert_close(out.data, out_t.detach().numpy())
    assert_close(t.grad, q.grad.numpy())


UNARY = {  # PyTorch's side only looked up when called: torch is None without PyTorch
    "relu": (lambda t: t.relu(), lambda q: torch.relu(q)),
    "exp": (lambda t: t.exp(), lambda q: torch.exp(q)),
    "log": (lambda t: (t * t + 0.5).log(), lambda q: torch.log(q * q + 0.5)),
    "softmax_last": (lambda t: t.softmax(), lambda q: torch.softmax(q, dim=-1)),
    "softmax_first": (lambda t: t.softmax(axis=0), lambda q: torch.softmax(q, dim=0)),
    "log_softmax_last": (lambda t: t.log_softmax(), lambda q: torch.log_softmax(q, dim=-1)),
    "log_softmax_first": (lambda t: t.log_softmax(axis=0),
                          lambda q: torch.log_softmax(q, dim=0)),
    "neg": (lambda t: -t, lambda q: -q),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_torch_and_finite_differences(name):
    ours, theirs = UNARY[name]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 5))
    g = rng.standard_normal((3, 5))
    t, q = leaf(x), tleaf(x)
    ours(t).backward(g)
    theirs(q).backward(torch.tensor(g))
    assert_close(t.grad, q.grad.numpy())
    numeric = numerical_vjp(lambda z: ours(Tensor(z)).data, x, g)
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-6, atol=1e-8)


@needs_torch
def test_relu_gradient_is_one_only_where_the_input_is_positive():
    x = np.array([-1.0, -1e-4, 0.0, 1e-4, 2.0])
    t, q = leaf(x), tleaf(x)
    t.relu().backward(np.full(5, 3.0))
    torch.relu(q).backward(torch.full((5,), 3.0, dtype=torch.float64))
    assert_close(t.grad, np.array([0, 0, 0, 3.0, 3.0]))
    assert_close(t.grad, q.grad.numpy())


def test_softmax_jacobian_from_autograd_rows_equals_smgrad():
    """Backward with each one-hot grad_out gives one row of the Jacobian at a time."""
    x = np.random.default_rng(3).standard_normal((2, 3))
    rows = []
    for k in range(x.size):
        t = leaf(x)
        t.softmax().backward(np.eye(x.size)[k].reshape(x.shape))
        rows.append(t.grad.reshape(-1))
    jac = np.array(rows).reshape(x.shape + x.shape)
    assert_close(jac, smgrad.softmax_jacobian(smgrad.softmax(x), full=True))
    np.testing.assert_allclose(jac, numerical_jacobian(smgrad.softmax, x), atol=1e-9)


def test_numpy_array_and_scalar_operands_on_either_side():
    rng = np.random.default_rng(4)
    x, c = rng.standard_normal((2, 3)), rng.standard_normal(3)
    t = leaf(x)
    out = c * t + 2.0 - t * 3 + (1 - t)
    assert isinstance(out, Tensor)
    out.backward(np.ones((2, 3)))
    assert_close(t.grad, np.broadcast_to(c - 4.0, (2, 3)))  # c - 3 - 1


def test_python_scalars_keep_float32():
    t = leaf(np.ones((2, 2), dtype=np.float32))
    out = (0.5 * t + 1).mean()
    assert out.data.dtype == np.float32
    out.backward()
    assert t.grad.dtype == np.float32


# ---------------------------------------------------------------------- the two losses
@st.composite
def logits_and_targets(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.1, 1.0, 5.0]))
    logits = scale * rng.standard_normal((rows, classes))
    kind = draw(st.sampled_from(["index", "onehot", "soft"]))
    index = rng.integers(0, classes, rows)
    if kind == "index":
        targets = index
    elif kind == "onehot":
        targets = np.eye(classes)[index]
    else:
        targets = smgrad.softmax(rng.standard_normal((rows, classes)))
    return logits, targets


@given(logits_and_targets())
def test_fused_and_separate_cross_entropy_agree_to_round_off(case):
    logits, targets = case
    fused, separate = leaf(logits), leaf(logits)
    loss_f = cross_entropy(fused, targets)
    loss_s = nll_of_probs(separate.softmax(), targets)
    loss_f.backward()
    loss_s.backward()
    assert abs(loss_f.item() - loss_s.item()) <= 1e-12 * max(1.0, abs(loss_f.item()))
    assert np.abs(fused.grad - separate.grad).max() <= 1e-14 * max(1, logits.shape[1])
    # the fused rule is (s - t) / N, as the homework wrote it (s by hand, not smgrad)
    onehot = targets if targets.ndim == 2 else np.eye(logits.shape[1])[targets]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_close(fused.grad, (e / e.sum(axis=1, keepdims=True) - onehot) / len(logits))


@needs_torch
@given(logits_and_targets())
def test_cross_entropy_matches_torch(case):
    logits, targets = case
    t, q = leaf(logits), tleaf(logits)
    loss = cross_entropy(t, targets)
    loss_t = F.cross_entropy(q, torch.tensor(targets))
    loss.backward()
    loss_t.backward()
    assert_close(loss.data, loss_t.detach().numpy())
    assert_close(t.grad, q.grad.numpy())


@given(logits_and_targets())
def test_log_softmax_path_matches_fused(case):
    logits, targets = case
    onehot = targets if targets.ndim == 2 else np.eye(logits.shape[1])[targets]
    a, b = leaf(logits), leaf(logits)
    cross_entropy(a, targets).backward()
    (a_loss := (-(b.log_softmax() * onehot).sum(axis=1)).mean()).backward()
    assert_close(a_loss.data, smgrad.cross_entropy(logits, targets))
    assert_close(b.grad, a.grad)


def test_losses_match_finite_differences():
    rng = np.random.default_rng(5)
    logits, targets = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    probs = smgrad.softmax(logits)
    t, p = leaf(logits), leaf(probs)
    cross_entropy(t, targets).backward()
    nll_of_probs(p, targets).backward()
    np.testing.assert_allclose(
        t.grad, numerical_vjp(lambda z: cross_entropy(Tensor(z), targets).data, logits, 1.0),
        atol=1e-9)
    np.testing.assert_allclose(
        p.grad, numerical_vjp(lambda z: nll_of_probs(Tensor(z), targets).data, probs, 1.0),
        rtol=1e-6)
    assert_close(p.grad, -np.eye(3)[targets] / (4 * probs))


def test_losses_chain_into_an_upstream_gradient():
    logits, targets = np.random.default_rng(6).standard_normal((3, 4)), np.array([1, 0, 3])
    a, b = leaf(logits), leaf(logits)
    (cross_entropy(a, targets) * 2.5).backward()
    (nll_of_probs(b.softmax(), targets) * 2.5).backward()
    assert_close(a.grad, 2.5 * smgrad.cross_entropy_grad(logits, targets))
    assert_close(b.grad, a.grad)


def test_underflowed_probability_gives_infinite_separate_loss():
    """Documented: log 0 = -inf on the separate path; the fused node stays finite."""
    logits, targets = np.array([[0.0, -800.0]]), np.array([1])
    assert np.isinf(nll_of_probs(leaf(logits).softmax(), targets).item())
    fused = leaf(logits)
    loss = cross_entropy(fused, targets)
    loss.backward()
    assert loss.item() == pytest.approx(800.0) and np.isfinite(fused.grad).all()


# ---------------------------------------------------------------------- softmax's rule
def test_softmax_backward_can_be_swapped_for_a_learners_rule():
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    right, wrong = leaf(x), leaf(x)
    right.softmax().backward(g)
    wrong.softmax(backward=mistakes.diagonal_only).backward(g)
    probs = smgrad.softmax(x)
    assert_close(right.grad, smgrad.softmax_vjp(probs, g))
    assert_close(wrong.grad, mistakes.diagonal_only(probs, g))
    assert np.abs(right.grad - wrong.grad).max() > 0.01


def test_diagonal_only_on_the_separate_path_drops_the_wrong_classes_push():
    """With -t/(N s) arriving, s(1 - s) keeps only -t(1 - s)/N: (s - t)/N without s."""
    logits, targets = np.random.default_rng(9).standard_normal((3, 4)), np.array([2, 0, 1])
    t = leaf(logits)
    nll_of_probs(t.softmax(backward=mistakes.diagonal_only), targets).backward()
    onehot, s = np.eye(4)[targets], smgrad.softmax(logits)
    assert_close(t.grad, -onehot * (1 - s) / 3)


def test_softmax_rule_must_be_callable_and_return_the_input_shape():
    with pytest.raises(TypeError, match="backward must be a function"):
        leaf(np.zeros((2, 3))).softmax(backward="diagonal_only")
    out = leaf(np.zeros((2, 3))).softmax(backward=lambda probs, g, axis: g[:, :2])
    with pytest.raises(ValueError, match=r"returned shape \(2, 2\).*\(2, 3\)"):
        out.backward(np.ones((2, 3)))


def test_identity_sized_by_batch_fails_in_backward_with_numpys_error():
    out = leaf(np.zeros((2, 3))).softmax(backward=mistakes.identity_sized_by_batch)
    with pytest.raises(ValueError):
        out.backward(np.ones((2, 3)))


# ---------------------------------------------------------------------- the engine
def test_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    W = leaf(w)
    assert W.grad is None
    loss = cross_entropy(x @ W, np.array([0, 3, 1]))
    loss.backward()
    once = W.grad.copy()
    loss.backward()                                  # the graph is kept: adds it again
    assert_close(W.grad, 2 * once)
    cross_entropy(x @ W, np.array([0, 3, 1])).backward()
    assert_close(W.grad, 3 * once)
    W.zero_grad()
    assert W.grad is None
    loss.backward()
    assert_close(W.grad, once)


@needs_torch
def test_a_leaf_used_twice_gets_both_gradients_like_torch():
    x = np.random.default_rng(11).standard_normal((2, 3))
    t, q = leaf(x), tleaf(x)
    (t * t.exp() + t.relu()).sum().backward()
    (q * q.exp() + q.relu()).sum().backward()
    assert_close(t.grad, q.grad.numpy())


def test_grad_is_a_fresh_array():
    g = np.ones((2, 3))
    t = leaf(np.zeros((2, 3)))
    (t + 0.0).backward(g)
    t.grad += 1
    assert (g == 1).all()


def test_backward_on_a_non_scalar_without_grad_out_explains_why():
    probs = leaf(np.random.default_rng(12).standard_normal((3, 4))).softmax()
    with pytest.raises(ValueError, match=r"shape \(3, 4\)") as info:
        probs.backward()
    message = str(info.value)
    assert "grad_out" in message and "sum" in message and "zero" in message
    # ...and what it says is true: the gradient of the sum of softmax's output is zero
    x = leaf(np.random.default_rng(12).standard_normal((3, 4)))
    x.softmax().backward(np.ones((3, 4)))
    assert np.abs(x.grad).max() < 1e-15


def test_backward_grad_out_must_match_the_shape():
    out = leaf(np.zeros((2, 3))).relu()
    with pytest.raises(ValueError, match=r"grad_out has shape \(3, 2\).*\(2, 3\)"):
        out.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="grad_out"):
        out.backward("ones")


def test_one_element_tensor_needs_no_grad_out():
    t = leaf(np.array([[2.0]]))
    (t * t).backward()
    assert_close(t.grad, np.array([[4.0]]))


def test_backward_needs_something_that_requires_grad():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (Tensor(np.ones(3)) * 2).sum().backward()


def test_constants_get_no_gradient_and_build_no_graph():
    c = Tensor(np.ones((2, 2)))
    out = c @ c + 1
    assert not out.requires_grad and out._parents == ()
    w = leaf(np.ones((2, 2)))
    (c @ w).sum().backward()
    assert c.grad is None and w.grad is not None


def test_a_long_chain_needs_no_recursion():
    t = leaf(np.array(1.0))
    h = t
    for _ in range(5000):
        h = h + 1.0
    h.backward()
    assert t.grad == 1.0


def test_tensor_copies_its_data():
    a = np.zeros(3)
    t = Tensor(a)
    a[0] = 5
    assert t.data[0] == 0
    assert Tensor([1, 2]).data.dtype == np.float64


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, words", [
    (lambda: Tensor(None), TypeError, "data is None"),
    (lambda: Tensor("abc"), TypeError, "data has dtype"),
    (lambda: Tensor(np.ones(2), requires_grad="yes"), TypeError, "requires_grad"),
    (lambda: Tensor(Tensor(np.ones(2))), TypeError, "data is already a Tensor"),
    (lambda: leaf(np.ones(2)) + "a", TypeError, "other"),
    (lambda: leaf(np.ones((2, 3))) * leaf(np.ones((2, 2))), ValueError,
     r"\* cannot broadcast shapes \(2, 3\) and \(2, 2\)"),
    (lambda: leaf(np.ones((2, 3))) @ leaf(np.ones((2, 3))), ValueError,
     r"@ cannot multiply shapes \(2, 3\) and \(2, 3\)"),
    (lambda: leaf(np.ones(3)) @ 2.0, ValueError, "use \\* to scale"),
    (lambda: leaf(np.ones((2, 3))).sum(axis=2), ValueError, "axis=2 is out of range"),
    (lambda: leaf(np.ones((2, 0))).mean(axis=1), ValueError, "averages no entries"),
    (lambda: leaf(np.ones((2, 3))).softmax(axis=3), ValueError, "axis=3"),
    (lambda: cross_entropy(leaf(np.ones((2, 3))), np.array([0, 3])), ValueError,
     "targets holds class indices"),
    (lambda: cross_entropy(leaf(np.ones((2, 3))), Tensor([0, 1])), TypeError,
     "targets is a Tensor"),
    (lambda: cross_entropy("logits", np.array([0, 1])), TypeError, "logits has dtype"),
    (lambda: nll_of_probs(leaf(np.ones((2, 3))), np.ones((3, 3))), ValueError,
     r"targets has shape \(3, 3\) but probs has shape \(2, 3\)"),
    (lambda: nll_of_probs(leaf(np.ones((2, 3))), np.array([0, 1, 2])), ValueError,
     "targets has shape \\(3,\\); class-index targets need probs' shape"),
    (lambda: nll_of_probs(leaf(np.ones((2, 3))), None), TypeError, "targets is None"),
    (lambda: leaf(np.ones(2)).item(), ValueError, "one-element"),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()
