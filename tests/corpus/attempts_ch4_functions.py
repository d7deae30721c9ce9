"""Chapter 4's custom autograd Function (ch4-ex4): log-softmax as a
``torch.autograd.Function`` subclass, right in several styles and wrong by family, plus
the Functions autograd cannot use. Left out where PyTorch is not installed."""

from .attempts_base import add, torch

K = "ch4-ex4"

if torch is not None:
    class _SavedOutput(torch.autograd.Function):
        """Right: forward saves its output, log s; backward takes its exp."""

        @staticmethod
        def forward(ctx, x):
            out = torch.log_softmax(x, dim=-1)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad_out):
            (out,) = ctx.saved_tensors
            return grad_out - out.exp() * grad_out.sum(dim=-1, keepdim=True)

    class _SavedProbs(torch.autograd.Function):
        """Right: forward by hand (x - logsumexp), saving the probabilities."""

        @staticmethod
        def forward(ctx, x):
            out = x - torch.logsumexp(x, dim=-1, keepdim=True)
            ctx.save_for_backward(torch.softmax(x, dim=-1))
            return out

        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return grad_out - probs * grad_out.sum(dim=-1, keepdim=True)

    class _Jacobian(_SavedOutput):
        """Right: gᵀ(I - 1 sᵀ) per row, with the blocks built (wasteful, not wrong)."""

        @staticmethod
        def backward(ctx, grad_out):
            (out,) = ctx.saved_tensors
            probs = out.exp()
            eye = torch.eye(probs.shape[-1], dtype=probs.dtype)
            blocks = eye - probs.unsqueeze(-2).expand(*probs.shape, probs.shape[-1])
            return (grad_out.unsqueeze(-2) @ blocks).squeeze(-2)

    class _SetupContext(_SavedOutput):
        """Right: the newer style, forward without ctx and setup_context."""

        @staticmethod
        def forward(x):
            return torch.log_softmax(x, dim=-1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

    class _Stub(torch.autograd.Function):
        """The learner edition's stub."""

        @staticmethod
        def forward(ctx, x):
            ...

        @staticmethod
        def backward(ctx, grad_out):
            ...

    def _variant(backward):
        """_SavedOutput with another backward, ``backward(probs, grad_out)``."""
        def method(ctx, grad_out):
            (out,) = ctx.saved_tensors
            return backward(out.exp(), grad_out)
        return type("LogSoftmaxFunction", (_SavedOutput,),
                    {"backward": staticmethod(method)})

    class _SoftmaxForward(_SavedOutput):
        @staticmethod
        def forward(ctx, x):
            probs = torch.softmax(x, dim=-1)
            ctx.save_for_backward(probs.log())
            return probs

    class _NoReturn(_SavedOutput):
        @staticmethod
        def backward(ctx, grad_out):
            (out,) = ctx.saved_tensors
            grad_out - out.exp() * grad_out.sum(dim=-1, keepdim=True)

    def _sum(g):
        return g.sum(dim=-1, keepdim=True)

    add(K, "saved output, exp in backward", "right", _SavedOutput)
    add(K, "forward by hand, probabilities saved", "right", _SavedProbs)
    add(K, "Jacobian blocks and a batched matmul", "right", _Jacobian)
    add(K, "setup_context style", "right", _SetupContext)
    add(K, "the stub", "not attempted", _Stub)
    add(K, "transposed Jacobian", "wrong", _variant(lambda s, g: g - _sum(g * s)),
        "transposed")
    add(K, "softmax's rule", "wrong", _variant(lambda s, g: s * (g - _sum(g * s))),
        "softmax")
    add(K, "diagonal only", "wrong", _variant(lambda s, g: (1 - s) * g), "diagonal")
    add(K, "log s used as s", "wrong", _variant(lambda s, g: g - s.log() * _sum(g)),
        "entries are wrong")
    add(K, "sign flipped", "wrong", _variant(lambda s, g: s * _sum(g) - g), "sign")
    add(K, "forward is softmax", "wrong", _SoftmaxForward,
        "its forward is not log_softmax")
    add(K, "backward without return", "wrong", _NoReturn, "return")
    add(K, "backward returns numpy", "wrong",
        _variant(lambda s, g: (g - s * _sum(g)).numpy()), "not a PyTorch tensor")
    add(K, "an extra axis", "wrong shape", _variant(lambda s, g: (g - s * _sum(g))[None]),
        "shape")
    add(K, "float16 gradient", "wrong type", _variant(lambda s, g: (g - s * _sum(g)).half()),
        "float64")
    add(K, "a plain function", "wrong", lambda probs, grad_out: grad_out,
        "not a subclass of torch.autograd.Function")
