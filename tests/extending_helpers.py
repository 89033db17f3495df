"""The custom Functions of PyTorch's "Extending PyTorch" note and its "Double Backward with Custom Functions"
tutorial, written once for both libraries: each ``make_*(lib)`` returns the page's class built on
``lib.autograd.Function`` with ``lib`` = ``ag`` (the port) or ``torch`` (the oracle), so the two run the same
body line for line (the spellings the pages use exist in both: ``mm``, ``t``, ``unsqueeze``, ``expand_as``,
``sort``, ``index_add_``, ``exp``, ``clone``, ``zeros_like``, ``once_differentiable``).
"""

from __future__ import annotations

from typing import Any


def make_linear(lib: Any, separate: bool = False) -> Any:
    """The note's LinearFunction: ``input @ weight.T + bias``, its backward skipping what needs no grad.
    ``separate``: forward without ctx plus ``setup_context`` (PyTorch 2's style), else forward(ctx, ...).
    ``LinearFunction.computed`` lists the gradients each backward computed (the needs_input_grad test)."""

    def forward_body(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        done = []
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
            done.append("input")
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
            done.append("weight")
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
            done.append("bias")
        LinearFunction.computed.append(tuple(done))
        return grad_input, grad_weight, grad_bias

    if separate:

        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        body = {"forward": staticmethod(forward_body), "setup_context": staticmethod(setup_context)}
    else:

        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            return forward_body(input, weight, bias)

        body = {"forward": staticmethod(forward)}
    body.update(backward=staticmethod(backward), computed=[])
    LinearFunction = type("LinearFunction", (lib.autograd.Function,), body)
    return LinearFunction


def make_mul_constant(lib: Any) -> Any:
    """The note's MulConstant: a Tensor times a Python number, the number getting no gradient (None)."""

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(tensor, constant):
            return tensor * constant

        @staticmethod
        def setup_context(ctx, inputs, output):
            _tensor, constant = inputs
            ctx.constant = constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    return MulConstant


def make_my_cube(lib: Any) -> Any:
    """The note's MyCube: returns x**3 and the intermediate dx = 3x**2, saving dx; backward adds grad_dx * 6x
    so the Function is twice differentiable. ``my_cube`` is the note's wrapper keeping the first output."""

    class MyCube(lib.autograd.Function):
        @staticmethod
        def forward(x):
            result = x**3
            dx = 3 * x**2
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            _result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    return MyCube


def make_sort(lib: Any) -> Any:
    """The note's mark_non_differentiable example: sort returning (values, indices), the indices marked; a
    once_differentiable backward scatters g1 back to where each value came from with index_add_."""

    class Func(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            sorted, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return sorted, idx

        @staticmethod
        @lib.autograd.function.once_differentiable if lib.__name__ == "torch" else lib.once_differentiable
        def backward(ctx, g1, g2):  # still needs to accept g2
            x, idx = ctx.saved_tensors
            grad_input = lib.zeros_like(x)
            grad_input.index_add_(0, idx, g1)
            return grad_input

    return Func


def make_simple(lib: Any, seen: list[Any], materialize: bool = False) -> Any:
    """The note's set_materialize_grads example: two clones of x; backward checks each gradient for None
    (``seen`` records what it got)."""

    class SimpleFunc(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1, g2))
            (x,) = ctx.saved_tensors
            grad_input = lib.zeros_like(x)
            if g1 is not None:  # we must check for None now
                grad_input += g1
            if g2 is not None:
                grad_input += g2
            return grad_input

    return SimpleFunc


# ---------------------------------------------------------------- "Double Backward with Custom Functions"
def make_square(lib: Any) -> Any:
    """Saving an input: x**2, backward 2x * grad_out, in Tensor ops (so it is differentiable again)."""

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * 2 * x

    return Square


def make_exp(lib: Any) -> Any:
    """Saving an output: exp x, backward result * grad_out."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = lib.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            (result,) = ctx.saved_tensors
            return result * grad_out

    return Exp


def make_sinh(lib: Any, in_place: bool = True) -> tuple[Any, Any]:
    """Saving intermediate results the right way: returned as outputs too, so the second backward sees them.
    Returns (Sinh, sinh): the class and the tutorial's wrapper keeping the first output. ``in_place``: the
    tutorial's ``grad_input += ...``; False: our spelling under create_graph, ``grad_input = grad_input + ...``."""

    class Sinh(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = lib.exp(x)
            expnegx = lib.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            # not skipped though the outputs are unused: the second backward needs them
            if in_place:
                grad_input += _grad_out_exp * expx
                grad_input -= _grad_out_negexp * expnegx
                return grad_input
            return grad_input + _grad_out_exp * expx - _grad_out_negexp * expnegx

    def sinh(x):
        return Sinh.apply(x)[0]

    return Sinh, sinh


def make_sinh_bad(lib: Any) -> Any:
    """The tutorial's "what NOT to do": intermediates kept on ctx, not returned, so they are constants to the
    second backward: first derivatives right, second ones wrong."""

    class SinhBad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = lib.exp(x)
            expnegx = lib.exp(-x)
            ctx.expx = expx
            ctx.expnegx = expnegx
            return (expx - expnegx) / 2

        @staticmethod
        def backward(ctx, grad_out):
            expx = ctx.expx
            expnegx = ctx.expnegx
            return grad_out * (expx + expnegx) / 2

    return SinhBad


def make_cube(lib: Any) -> Any:
    """When backward is not tracked": Cube's backward is itself a Function (CubeBackward) with a backward
    of its own, so double backward works even where the first backward's formula is not differentiable."""

    def cube_backward(grad_out, x):
        return grad_out * 3 * x**2

    def cube_backward_backward(grad_out, sav_grad_out, x):
        return grad_out * sav_grad_out * 6 * x

    def cube_backward_backward_grad_out(grad_out, x):
        return grad_out * 3 * x**2

    class CubeBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, grad_out, x):
            ctx.save_for_backward(x, grad_out)
            return cube_backward(grad_out, x)

        @staticmethod
        def backward(ctx, grad_out):
            x, sav_grad_out = ctx.saved_tensors
            dx = cube_backward_backward(grad_out, sav_grad_out, x)
            dgrad_out = cube_backward_backward_grad_out(grad_out, x)
            return dgrad_out, dx

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return CubeBackward.apply(grad_out, x)

    return Cube
