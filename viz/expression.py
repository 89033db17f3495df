"""A safe little expression language for the command line: ``"sigmoid(w*x + b)"``.

The text is parsed with Python's ``ast`` and only numbers, variable names, the
operators ``+ - * / ** @``, and calls of the autograd functions below are allowed
(``exp(x)`` or ``x.exp()``). Nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import autograd_core as ag
from autograd_core import Tensor

FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(ag, name)
    for name in (
        "exp",
        "log",
        "sigmoid",
        "tanh",
        "sin",
        "cos",
        "relu",
        "abs",
        "sqrt",
        "sum",
        "mean",
        "max",
        "softmax",
        "log_softmax",
        "logsumexp",
        "maximum",
        "minimum",
        "matmul",
        "transpose",
        "reshape",
    )
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.MatMult: lambda a, b: a @ b,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
# The evaluator recurses (about two Python frames per operation) and Graphviz cannot lay out a
# picture of hundreds of nested operations anyway: build deeper graphs in Python, where the
# engine itself has no depth limit.
MAX_DEPTH = 200
_NESTING = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Tuple)


class ExpressionError(ValueError):
    """The expression cannot be parsed or uses something outside the allowed language."""


def variable_names(text: str) -> list[str]:
    """The free variable names of ``text`` in order of first use (functions excluded)."""
    tree = _parse(text)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in names:
            names.append(node.id)
    return names


def evaluate(text: str, variables: Mapping[str, Tensor]) -> Tensor:
    """Evaluate ``text`` with ``variables`` (name -> Tensor) and return the resulting Tensor.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> evaluate("sigmoid(w * -1 + 0.5)", {"w": w}).item()
    0.1824
    """
    tree = _parse(text)
    for node in ast.walk(tree):  # unknown functions first: "foo(w)" is not a missing variable "foo"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS:
            _Evaluator(text, variables).refuse(node, f"calling {node.func.id}")
    missing = [n for n in variable_names(text) if n not in variables]
    if missing:
        raise ExpressionError(
            f"expression {_shown(text)}: no value for {', '.join(missing)}; give one with --set {missing[0]}=VALUE"
        )
    result = _Evaluator(text, variables).visit(tree.body)
    if not isinstance(result, ag.Tensor):
        raise ExpressionError(f"expression {_shown(text)} uses no variable, so there is no graph to draw")
    return result


def _parse(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        # Python reports a missing end ("w*") at column 0: say where the reader should look
        at_end = not error.offset or error.offset > len(text.strip())
        where = "at its end: an operand is missing" if at_end else f"column {error.offset}"
        raise ExpressionError(f"expression {_shown(text)} is not valid: {error.msg} ({where})") from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on a few hundred nested levels
        raise ExpressionError(
            f"expression {_shown(text)} nests too deeply for Python's parser; python -m viz "
            f"draws at most {MAX_DEPTH} nested operations: build deeper graphs in Python"
        ) from None
    depth = nesting_depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExpressionError(
            f"expression {_shown(text)} nests {depth} operations deep; python -m viz draws at most "
            f"{MAX_DEPTH}: build deeper graphs in Python (the engine has no depth limit)"
        )
    return tree


def nesting_depth(node: ast.AST) -> int:
    """Operations (+ - * / ** @, calls, tuples) on the longest path from ``node`` to a leaf, counted
    without recursion: ``nesting_depth(ast.parse("x.exp().exp() + 1", mode="eval").body) == 3``."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        node, depth = stack.pop()
        depth += isinstance(node, _NESTING)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest


def _shown(text: str, limit: int = 60) -> str:
    """The expression quoted for a message, shortened when long (a 3,000-call chain would fill the screen)."""
    text = text.strip()
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...") + f" ({len(text)} characters)"


class _Evaluator(ast.NodeVisitor):
    """Values are Tensors, plain numbers (constants, axes) or tuples of them (axes)."""

    def __init__(self, text: str, variables: Mapping[str, Tensor]) -> None:
        self.text, self.variables = text, variables

    def refuse(self, node: ast.AST, what: str) -> NoReturn:
        raise ExpressionError(
            f"expression {_shown(self.text)}: {what} is not allowed here; use numbers, "
            f"variables, + - * / ** @ and the functions {', '.join(sorted(FUNCTIONS))}"
        )

    def generic_visit(self, node: ast.AST) -> NoReturn:
        self.refuse(node, type(node).__name__)

    def visit_Constant(self, node: ast.Constant) -> int | float:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.refuse(node, f"the constant {node.value!r}")
        return node.value  # ints stay ints: they may be axes, and Tensors take them as floats

    def visit_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:  # for axes: sum(x, (0, 1))
        return tuple(self.visit(e) for e in node.elts)

    def visit_Name(self, node: ast.Name) -> Tensor:
        if node.id in FUNCTIONS:
            self.refuse(node, f"the function {node.id} without a call")
        return self.variables[node.id]

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            self.refuse(node, f"the operator {type(node.op).__name__}")
        left, right = self.visit(node.left), self.visit(node.right)
        if not isinstance(left, ag.Tensor) and not isinstance(right, ag.Tensor):
            left = ag.Tensor(left)  # numbers compute as float64 Tensors: 9**9**9 is inf, not a hang
        return op(left, right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        op = _UNARY.get(type(node.op))
        if op is None:
            self.refuse(node, f"the operator {type(node.op).__name__}")
        return op(self.visit(node.operand))

    def visit_Call(self, node: ast.Call) -> Any:
        keywords = dict(self._keyword(k) for k in node.keywords)
        if isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            return FUNCTIONS[node.func.id](*[self.visit(a) for a in node.args], **keywords)
        if isinstance(node.func, ast.Attribute) and node.func.attr in FUNCTIONS:
            target = self.visit(node.func.value)
            if not isinstance(target, ag.Tensor):
                self.refuse(node, f"calling .{node.func.attr}() on a number")
            return getattr(target, node.func.attr)(*[self.visit(a) for a in node.args], **keywords)
        self.refuse(node, f"calling {ast.unparse(node.func)}")

    def _keyword(self, keyword: ast.keyword) -> tuple[str, Any]:
        """(name, value) of an ``axis=`` or ``keepdims=`` argument."""
        name = keyword.arg
        if name is None or name not in ("axis", "keepdims"):
            self.refuse(keyword, f"the keyword {name}=")
        value = keyword.value
        if isinstance(value, ast.Constant) and isinstance(value.value, (bool, int)):
            return name, value.value
        if (
            isinstance(value, ast.UnaryOp)
            and isinstance(value.op, ast.USub)
            and isinstance(value.operand, ast.Constant)
            and isinstance(value.operand.value, (int, float))
        ):
            return name, -value.operand.value
        if isinstance(value, ast.Tuple):
            return name, self.visit(value)
        self.refuse(keyword, f"the value of {keyword.arg}=")
