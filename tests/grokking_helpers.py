"""Andrew Trask's "Grokking Deep Learning" (Manning), chapters 13-14: the small deep-learning framework
the book builds ("Introducing automatic optimization"), re-typed as the ORACLE that
tests/test_grokking_ports_framework.py checks autograd_core against; the book's layers' weights copied into
nn's (``our_linear``, ``our_embedding``, ``our_lstm_cell``); and the blog's hand-written backpropagation
through time for its binary adder.

The framework is the book's: a ``Tensor`` with ``autograd``, ``creators``, ``creation_op`` and a
``children`` count per child id; ``backward(grad, grad_origin)`` adds the incoming gradient and passes
it on only once every child has sent its share (``all_children_grads_accounted_for``) or when called
with no origin; ops add neg sub mul sum(dim) expand(dim, copies) transpose mm sigmoid tanh relu
index_select cross_entropy; ``SGD``, ``Layer``, ``Linear``, ``Sequential``, ``MSELoss``, ``Tanh``,
``Sigmoid``, ``Embedding``, ``CrossEntropyLoss``, ``RNNCell`` and chapter 14's ``LSTMCell``.

As the book: every Tensor draws its id from ``np.random.randint`` (so creating tensors shifts later seeded
draws: the book's printed losses need it); add, sub and mul record only when both inputs have autograd,
the other ops when ``self`` has; only add, sub and mul pass a ``grad_origin`` back (mm, tanh, sigmoid,
sum, expand, neg, transpose, index_select and cross_entropy call with none, so are not counted);
chapter 13 raises "cannot backprop more than once" on a repeated gradient from the same child, where
chapter 14's notebook returns silently (``Tensor.repeat = "return"``, and ids up to 1e9). Where it
differs: the ops are written compactly (``_made``); the code is otherwise the book's logic.
"""

import numpy as np


class Tensor:
    """The book's autograd Tensor (chapter 13), numpy underneath."""

    id_high = 100000  # chapter 13's np.random.randint(0, 100000); chapter 14's notebook: 1000000000
    repeat = "raise"  # chapter 14's notebook: "return" (a second gradient from the same child is dropped)

    def __init__(self, data, autograd=False, creators=None, creation_op=None):
        self.data = np.array(data)
        self.autograd, self.grad = autograd, None
        self.id = np.random.randint(0, self.id_high)
        self.creators, self.creation_op = creators, creation_op
        self.children = {}
        for c in creators or ():
            c.children[self.id] = c.children.get(self.id, 0) + 1

    def all_children_grads_accounted_for(self):
        return all(count == 0 for count in self.children.values())

    def backward(self, grad=None, grad_origin=None):
        if not self.autograd:
            return
        if grad is None:
            grad = Tensor(np.ones_like(self.data))
        if grad_origin is not None:
            if self.children[grad_origin.id] == 0:
                if self.repeat == "return":
                    return
                raise Exception("cannot backprop more than once")
            self.children[grad_origin.id] -= 1
        self.grad = grad if self.grad is None else self.grad + grad
        if self.creators is None or not (self.all_children_grads_accounted_for() or grad_origin is None):
            return
        op, c, g = self.creation_op, self.creators, self.grad
        if op == "add":
            c[0].backward(g, self)
            c[1].backward(g, self)
        elif op == "sub":
            c[0].backward(Tensor(g.data), self)
            c[1].backward(Tensor(g.__neg__().data), self)
        elif op == "mul":
            c[0].backward(g * c[1], self)
            c[1].backward(g * c[0], self)
        elif op == "mm":  # the book passes no origin here
            c[0].backward(g.mm(c[1].transpose()))
            c[1].backward(g.transpose().mm(c[0]).transpose())
        elif op == "transpose":
            c[0].backward(g.transpose())
        elif op.startswith("sum"):
            dim = int(op.split("_")[1])
            c[0].backward(g.expand(dim, c[0].data.shape[dim]))
        elif op.startswith("expand"):
            c[0].backward(g.sum(int(op.split("_")[1])))
        elif op == "neg":
            c[0].backward(g.__neg__())
        elif op == "sigmoid":
            ones = Tensor(np.ones_like(g.data))
            c[0].backward(g * (self * (ones - self)))
        elif op == "tanh":
            ones = Tensor(np.ones_like(g.data))
            c[0].backward(g * (ones - (self * self)))
        elif op == "relu":
            c[0].backward(Tensor(g.data * (self.data > 0)))
        elif op == "index_select":
            new_grad = np.zeros_like(c[0].data)
            indices = self.index_select_indices.data.flatten()
            rows = grad.data.reshape(len(indices), -1)  # the book reads the incoming grad here
            for i, row in zip(indices, rows):
                new_grad[i] += row
            c[0].backward(Tensor(new_grad))
        elif op == "cross_entropy":
            c[0].backward(Tensor(self.softmax_output - self.target_dist))

    def _made(self, data, op, *creators):
        needs_both = op in ("add", "sub", "mul")  # the book's binary ops need both inputs' autograd, mm only self's
        if self.autograd and (not needs_both or creators[1].autograd):
            return Tensor(data, autograd=True, creators=list(creators), creation_op=op)
        return Tensor(data)

    def __add__(self, other):
        return self._made(self.data + other.data, "add", self, other)

    def __neg__(self):
        return self._made(self.data * -1, "neg", self)

    def __sub__(self, other):
        return self._made(self.data - other.data, "sub", self, other)

    def __mul__(self, other):
        return self._made(self.data * other.data, "mul", self, other)

    def sum(self, dim):
        return self._made(self.data.sum(dim), f"sum_{dim}", self)

    def expand(self, dim, copies):
        order = list(range(self.data.ndim))
        order.insert(dim, self.data.ndim)
        data = self.data.repeat(copies).reshape(list(self.data.shape) + [copies]).transpose(order)
        return self._made(data, f"expand_{dim}", self)

    def transpose(self):
        return self._made(self.data.transpose(), "transpose", self)

    def mm(self, x):
        return self._made(self.data.dot(x.data), "mm", self, x)

    def sigmoid(self):
        return self._made(1 / (1 + np.exp(-self.data)), "sigmoid", self)

    def tanh(self):
        return self._made(np.tanh(self.data), "tanh", self)

    def relu(self):
        return self._made(self.data * (self.data > 0), "relu", self)

    def index_select(self, indices):
        out = self._made(self.data[indices.data], "index_select", self)
        out.index_select_indices = indices
        return out

    def cross_entropy(self, target_indices):
        exps = np.exp(self.data)
        softmax_output = exps / np.sum(exps, axis=self.data.ndim - 1, keepdims=True)
        t = target_indices.data.flatten()
        p = softmax_output.reshape(len(t), -1)
        target_dist = np.eye(p.shape[1])[t]
        loss = -(np.log(p) * target_dist).sum(1).mean()
        out = self._made(loss, "cross_entropy", self)
        out.softmax_output, out.target_dist = softmax_output.reshape(len(t), -1), target_dist
        return out


class SGD:
    def __init__(self, parameters, alpha=0.1):
        self.parameters, self.alpha = parameters, alpha

    def zero(self):
        for p in self.parameters:
            p.grad.data *= 0

    def step(self, zero=True):
        for p in self.parameters:
            p.data -= p.grad.data * self.alpha
            if zero:
                p.grad.data *= 0


class Layer:
    def __init__(self):
        self.parameters = []

    def get_parameters(self):
        return self.parameters


class Linear(Layer):
    """input.mm(weight) + bias.expand(0, n): weight (in, out), He-scaled N(0, 2/in) from np.random."""

    def __init__(self, n_inputs, n_outputs, bias=True):
        super().__init__()
        self.use_bias = bias
        self.weight = Tensor(np.random.randn(n_inputs, n_outputs) * np.sqrt(2.0 / n_inputs), autograd=True)
        self.parameters.append(self.weight)
        if bias:
            self.bias = Tensor(np.zeros(n_outputs), autograd=True)
            self.parameters.append(self.bias)

    def forward(self, input):
        if self.use_bias:
            return input.mm(self.weight) + self.bias.expand(0, len(input.data))
        return input.mm(self.weight)


class Sequential(Layer):
    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def forward(self, input):
        for layer in self.layers:
            input = layer.forward(input)
        return input

    def get_parameters(self):
        return [p for layer in self.layers for p in layer.get_parameters()]


class MSELoss(Layer):
    def forward(self, pred, target):
        return ((pred - target) * (pred - target)).sum(0)


class CrossEntropyLoss(Layer):
    def forward(self, input, target):
        return input.cross_entropy(target)


class Tanh(Layer):
    def forward(self, input):
        return input.tanh()


class Sigmoid(Layer):
    def forward(self, input):
        return input.sigmoid()


class Embedding(Layer):
    """Rows U(-0.5, 0.5) / dim, picked with index_select."""

    def __init__(self, vocab_size, dim):
        super().__init__()
        self.weight = Tensor((np.random.rand(vocab_size, dim) - 0.5) / dim, autograd=True)
        self.parameters.append(self.weight)

    def forward(self, input):
        return self.weight.index_select(input)


class RNNCell(Layer):
    """hidden' = act(w_ih(x) + w_hh(hidden)); output = w_ho(hidden')."""

    def __init__(self, n_inputs, n_hidden, n_output, activation="sigmoid"):
        super().__init__()
        self.n_hidden = n_hidden
        self.activation = Sigmoid() if activation == "sigmoid" else Tanh()
        self.w_ih, self.w_hh, self.w_ho = (
            Linear(n_inputs, n_hidden),
            Linear(n_hidden, n_hidden),
            Linear(n_hidden, n_output),
        )
        self.parameters = self.w_ih.parameters + self.w_hh.parameters + self.w_ho.parameters

    def forward(self, input, hidden):
        new_hidden = self.activation.forward(self.w_ih.forward(input) + self.w_hh.forward(hidden))
        return self.w_ho.forward(new_hidden), new_hidden

    def init_hidden(self, batch_size=1):
        return Tensor(np.zeros((batch_size, self.n_hidden)), autograd=True)


class LSTMCell(Layer):
    """Chapter 14: gates f, i, o (sigmoid) and g (tanh), each x-Linear (bias) + h-Linear (no bias)."""

    GATES = ("f", "i", "o", "c")

    def __init__(self, n_inputs, n_hidden, n_output):
        super().__init__()
        self.n_hidden = n_hidden  # drawn in the book's order: xf xi xo xc, then hf hi ho hc, then w_ho
        self.x = {k: Linear(n_inputs, n_hidden) for k in self.GATES}
        self.h = {k: Linear(n_hidden, n_hidden, bias=False) for k in self.GATES}
        self.w_ho = Linear(n_hidden, n_output, bias=False)
        for k in self.GATES:
            self.parameters += self.x[k].parameters + self.h[k].parameters
        self.parameters += self.w_ho.parameters

    def forward(self, input, hidden):
        prev_hidden, prev_cell = hidden
        gate = {k: self.x[k].forward(input) + self.h[k].forward(prev_hidden) for k in self.GATES}
        f, i, o, g = gate["f"].sigmoid(), gate["i"].sigmoid(), gate["o"].sigmoid(), gate["c"].tanh()
        c = (f * prev_cell) + (i * g)
        h = o * c.tanh()
        return self.w_ho.forward(h), (h, c)

    def init_hidden(self, batch_size=1):
        h, c = (Tensor(np.zeros((batch_size, self.n_hidden)), autograd=True) for _ in range(2))
        h.data[:, 0] += 1
        c.data[:, 0] += 1
        return h, c


# ---------------------------------------------------------------- the book's weights in this repo's nn layers
def our_linear(book_linear):
    """An ``nn.Linear`` holding the book's ``Linear``'s weights (nn stores (out, in): the transpose)."""
    import nn

    n_in, n_out = book_linear.weight.data.shape
    layer = nn.Linear(n_in, n_out, bias=book_linear.use_bias)
    layer.weight.data[...] = book_linear.weight.data.T
    if book_linear.use_bias:
        layer.bias.data[...] = book_linear.bias.data
    return layer


def our_embedding(book_embedding):
    import nn

    table = nn.Embedding(*book_embedding.weight.data.shape)
    table.weight.data[...] = book_embedding.weight.data
    return table


def our_lstm_cell(book_cell):
    """An ``nn.LSTMCell`` with the book's eight gate Linears packed in PyTorch's order (i, f, g, o) and the
    output Linear beside it: weight_ih from xi xf xc xo (with their biases), weight_hh from hi hf hc ho."""
    import nn

    n_in, n_hidden = book_cell.x["f"].weight.data.shape
    cell = nn.LSTMCell(n_in, n_hidden)
    order = ("i", "f", "c", "o")
    cell.weight_ih.data[...] = np.concatenate([book_cell.x[k].weight.data.T for k in order])
    cell.bias_ih.data[...] = np.concatenate([book_cell.x[k].bias.data for k in order])
    cell.weight_hh.data[...] = np.concatenate([book_cell.h[k].weight.data.T for k in order])
    cell.bias_hh.data[...] = 0.0  # the book's h-Linears have no bias
    return cell, our_linear(book_cell.w_ho)


def book_lstm_grads(book_cell):
    """The book's gradients packed as ``our_lstm_cell`` packs its weights."""
    order = ("i", "f", "c", "o")
    return {
        "weight_ih": np.concatenate([book_cell.x[k].weight.grad.data.T for k in order]),
        "bias_ih": np.concatenate([book_cell.x[k].bias.grad.data for k in order]),
        "weight_hh": np.concatenate([book_cell.h[k].weight.grad.data.T for k in order]),
        "w_ho": book_cell.w_ho.weight.grad.data.T,
    }


# ---------------------------------------------------------------- "Anyone Can Learn To Code an LSTM-RNN", part 1
def blog_binary_addition_updates(a, b, c, synapse_0, synapse_1, synapse_h):
    """The blog's hand-written backpropagation through time for one pair: a, b, c are 8-bit arrays (most
    significant first, as np.unpackbits gives); returns (synapse_0_update, synapse_1_update,
    synapse_h_update), what the blog adds (times alpha) to each weight, and the summed |error|."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    hidden_dim = synapse_h.shape[0]
    layer_2_deltas, layer_1_values, overall_error = [], [np.zeros(hidden_dim)], 0.0
    for position in range(8):  # least significant bit first
        X = np.array([[a[7 - position], b[7 - position]]])
        y = np.array([[c[7 - position]]]).T
        layer_1 = sigmoid(np.dot(X, synapse_0) + np.dot(layer_1_values[-1], synapse_h))
        layer_2 = sigmoid(np.dot(layer_1, synapse_1))
        layer_2_error = y - layer_2
        layer_2_deltas.append(layer_2_error * layer_2 * (1 - layer_2))
        overall_error += np.abs(layer_2_error[0]).item()
        layer_1_values.append(layer_1.copy())
    updates = [np.zeros_like(synapse_0), np.zeros_like(synapse_1), np.zeros_like(synapse_h)]
    future_layer_1_delta = np.zeros(hidden_dim)
    for position in range(8):
        X = np.array([[a[position], b[position]]])
        layer_1, prev_layer_1 = layer_1_values[-position - 1], layer_1_values[-position - 2]
        layer_2_delta = layer_2_deltas[-position - 1]
        layer_1_delta = (
            (future_layer_1_delta.dot(synapse_h.T) + layer_2_delta.dot(synapse_1.T)) * layer_1 * (1 - layer_1)
        )
        updates[1] += np.atleast_2d(layer_1).T.dot(layer_2_delta)
        updates[2] += np.atleast_2d(prev_layer_1).T.dot(layer_1_delta)
        updates[0] += X.T.dot(layer_1_delta)
        future_layer_1_delta = layer_1_delta
    return (*updates, overall_error)
