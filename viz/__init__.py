"""viz: pictures of the computation graph a Tensor recorded — the chain rule made visible.

>>> import autograd_core as ag, viz
>>> w = ag.Tensor(2.0, requires_grad=True, label="w")
>>> x = ag.Tensor(-1.0, label="x")
>>> f = (w * x).sigmoid()
>>> f.label = "f"
>>> viz.backward_all(f)                      # backward, keeping every wire's gradient
>>> g = viz.draw_graph(f, style="circuit")   # a graphviz.Digraph (inline in Jupyter)
>>> viz.render_graph(f, "f.svg")             # .svg/.png/.pdf by suffix; returns the path
PosixPath('f.svg')
>>> print(viz.explain(f, w))                 # ∂f/∂w = ∂f/∂mul · ∂mul/∂w, with numbers
∂f/∂w by the chain rule: 1 path from f back to w
...
sum over the 1 path: ∂f/∂w = -0.105
>>> viz.animate_backward(f, "backward.html") # the backward pass, one op per frame
PosixPath('backward.html')
>>> history = {"train_loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7]}  # or nn.fit's History
>>> viz.plot_history(history, "curves.png")  # loss (and accuracy) per epoch
PosixPath('curves.png')
>>> viz.explore(f, "graph.html")             # interactive: pan, zoom, click, step, paths
PosixPath('graph.html')

From a shell: ``python -m viz.circuit`` (the cs231n neuron) and
``python -m viz expr "sigmoid(w*x+b)" --set w=2 x=-1 b=0.5 --out f.svg``.
viz uses only autograd_core's public API (``ag.walk``, ``t.parents``, ``t.op``, ...).
"""

from .animate import animate_backward
from .explain import ChainPath, Explanation, explain
from .explore import explore
from .gradients import backward_all
from .graph import draw_graph
from .plots import plot_history
from .render import GraphvizNotFoundError, render_graph
from .search import plot_search
from .trace import EvaluationTrace, evaluation_trace

__all__ = [
    "draw_graph",
    "render_graph",
    "backward_all",
    "explain",
    "Explanation",
    "ChainPath",
    "animate_backward",
    "plot_history",
    "plot_search",
    "explore",
    "evaluation_trace",
    "EvaluationTrace",
    "GraphvizNotFoundError",
]
