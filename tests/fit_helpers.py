"""Shared by the nn.fit tests: the moons data, an Adam optimizer, and a spy on each epoch's weights."""

from nn import datasets, optim


class EpochSpy:
    """Passed as ``scheduler``: fit calls ``step()`` after each epoch, so it sees each epoch's weights."""

    def __init__(self, model):
        self.model, self.states = model, []

    def step(self):
        self.states.append(self.model.state_dict())


def moons(seed=0, n=400):
    return datasets.make_moons(n, noise=0.1, seed=seed)


def adam(model, lr=0.01):
    return optim.Adam(model.parameters(), lr=lr)
