"""Every tutorial runs (so it can never rot): its assertions compare autodiff with the
hand-derived formulas, and every image its text shows must be written by the run."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIALS = os.path.join(ROOT, "docs", "tutorials")
NAMES = sorted(n for n in os.listdir(TUTORIALS) if re.match(r"\d\d-.*\.md$", n))


def test_there_are_tutorials():
    assert len(NAMES) >= 8, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_tutorial_runs_and_writes_its_images(name, tmp_path):
    # A fresh process per tutorial: a tutorial that registers a primitive must not leak it.
    result = subprocess.run(
        [sys.executable, os.path.join(TUTORIALS, "run.py"), name[:2], "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"ok  {name}" in result.stdout
    with open(os.path.join(TUTORIALS, name), encoding="utf-8") as f:
        text = f.read()
    for image in re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", text):
        path = tmp_path / image
        assert path.stat().st_size > 1000, f"{image} is missing or empty"
    for quote in QUOTED.get(name[:2], ()):  # figures the prose quotes from a seeded (deterministic) run
        assert quote(result.stdout) in " ".join(text.split()), (
            f"{name}'s prose no longer quotes {quote(result.stdout)!r}"
        )


def _constant_rate_run(stdout):
    """Tutorial 6's per-sample SGD at a constant rate: its prose quotes the first two training losses, and says
    the later ones are several times higher and the validation loss far above the others'. Those later figures
    depend on the machine's BLAS (each step at this rate magnifies a rounding difference: 5.22 2.28 8.82 on an
    Intel Xeon, 5.41 4.94 11.23 on an AMD EPYC), so what they must show is checked, not their digits."""
    loss, losses = re.search(
        r"constant η = 0.05 .*validation loss ([\d.]+).*\n.*training loss per epoch: (.*)", stdout
    ).groups()
    first, second, *later = losses.split()
    assert min(map(float, later)) > 1.5 * float(first), f"the constant rate's later losses are not higher: {losses}"
    assert float(loss) > 2.0, f"the constant rate's validation loss {loss} is no longer far above the others'"
    return f"({first} and {second} in the first two epochs, then several times higher"


def _quote(pattern, template):
    """A figure the prose quotes: ``pattern``'s groups, read from the run's output, put into ``template``."""

    def quoted(stdout):
        match = re.search(pattern, stdout)
        assert match, f"the run no longer prints {pattern!r}"
        return template(*match.groups())

    return quoted


def _power_of_ten(mantissa, exponent):  # "2.0", "05" -> "2 \times 10^{-5}", as the prose writes it
    return f"{float(mantissa):g} \\times 10^{{-{int(exponent)}}}"


QUOTED = {
    "05": [
        _quote(
            r"sigmoid \(Xavier init\) .*first/last = ([\d.]+)e-(\d+), divided by ([\d.]+)",
            lambda m, e, f: f"last layer (${_power_of_ten(m, e)}$): each layer divides it by {f} on average",
        ),
        _quote(
            r"sigmoid \(He init\) .*first/last = ([\d.]+)e-(\d+), divided by ([\d.]+)",
            lambda m, e, f: f"the ratio is still ${_power_of_ten(m, e)}$ ({f} per layer)",
        ),
        _quote(r"ReLU \(He init\) .*first/last = ([\d.]+e-\d+)", lambda r: f"gradient ({float(r):.2f})"),
        _quote(
            r"sigmoid \(Xavier init\) +test accuracy ([\d.]+%), train loss ([\d.]+)",
            lambda acc, loss: f"its training loss is {loss}, next to $\\ln 10",
        ),
        _quote(r"sigmoid \(Xavier init\) +test accuracy ([\d.]+%)", lambda acc: f"its test accuracy ({acc}) is chance"),
        _quote(r"ReLU \(He init\) +test accuracy ([\d.]+%)", lambda acc: f"with the same depth, reaches {acc}"),
    ],
    "06": [
        _constant_rate_run,
        _quote(
            r"per-sample.*after epoch 1: ([\d.]+), at the end: ([\d.]+).*\n"
            r".*after epoch 1: ([\d.]+).*\n.*after epoch 1: ([\d.]+)",
            lambda b1, end, b32, full: (
                f"validation loss is {b1}, against {b32} for mini-batches and {full} for the "
                f"full batch, because it made 1,437 updates where the full batch made one; "
                f"after 5 epochs it reaches {end}"
            ),
        ),
        _quote(
            r"mini-batch: .* ([\d.]+)\n +full batch: .* ([\d.]+)\n",
            lambda mini, full: f"({mini} and {full} after 225 updates)",
        ),
        _quote(
            r"shuffle=False validation accuracy per epoch: (\d+%).*\n"
            r"shuffle=True +validation accuracy per epoch: (\d+%)",
            lambda ordered, shuffled: f"it reaches {ordered} validation accuracy against {shuffled} with shuffling",
        ),
        _quote(
            r"no penalty validation accuracy ([\d.]+%).*\nL2 +validation accuracy ([\d.]+%).*\n"
            r"L1 +validation accuracy ([\d.]+%); weights with \|w\| < 1e-3: +([\d.]+%)",
            lambda none, l2, l1, zeros: (
                f"L1 leaves {zeros} of the weights within $10^{{-3}}$ of zero (the pile on "
                f"the left of the histogram, ending at $\\eta\\lambda$, as predicted), "
                f"against 0.5% with L2 or without a "
                f"penalty; validation accuracy barely moves ({l1} with L1, {l2} with L2, {none} without)"
            ),
        ),
        _quote(
            r"L2: .*columns ([\d.]+), .*columns ([\d.]+)\nL1: .*columns ([\d.]+), .*columns ([\d.]+)",
            lambda l2_edge, l2_mid, l1_edge, l1_mid: (
                f"mean $|w|$ of {l1_edge} under L1 against {l1_mid} in the four "
                f"middle columns (under L2: {l2_edge} against {l2_mid})"
            ),
        ),
        _quote(r"\(1 - 2\*lr\*lam\)\^(\d+) = w_start \* ([\d.]+)", lambda n, f: f"^{{{n}}} = {f}$"),
        _quote(
            r"inverse time .*train loss ([\d.]+), validation loss ([\d.]+)",
            lambda train, val: f"loss falls to {train} (validation loss {val}:",
        ),
        _quote(
            r"AdaGrad η = 0.05 .*validation loss ([\d.]+), accuracy ([\d.]+%)",
            lambda val, acc: f"the lowest validation loss, {val} ({acc} accuracy)",
        ),
        _quote(
            r"stopped \('tol'\) after (\d+) of 300 epochs: the last change of the training loss was ([\d.]+e-\d+); "
            r"validation accuracy ([\d.]+%)",
            lambda n, change, acc: (
                f"It stopped after {n} epochs, when an epoch changed the training loss by only "
                f"{change.replace('e-0', 'e-')}, at {acc} validation accuracy"
            ),
        ),
        _quote(
            r"training loss ([\d.]+) \(training accuracy (\d+%)\), "
            r"validation loss ([\d.]+) \(lowest ([\d.]+), at epoch (\d+)\)",
            lambda train, acc, last, low, epoch: (
                f"lowest at epoch {epoch} ({low}) and then climbs to {last} by "
                f"epoch 200, while the training loss falls to {train} and training accuracy reaches {acc}"
            ),
        ),
        _quote(r"ran (\d+) epochs, kept epoch (\d+)", lambda ran, kept: f"it ran {ran} epochs ({kept} + 20)"),
        _quote(
            r"early stopping: loss ([\d.]+), accuracy ([\d.]+%)\n"
            r"test set, 200 epochs +: loss ([\d.]+), accuracy ([\d.]+%)",
            lambda el, ea, ll, la: (
                f"scores a loss of {el} and {ea} accuracy, the network trained for 200 epochs {ll} and {la}"
            ),
        ),
    ],
    "10": [
        _quote(
            r"tiny CNN +([\d,]+) parameters: test accuracy ([\d.]+%)\n"
            r"MLP 64-32-10 +([\d,]+) parameters: test accuracy ([\d.]+%)",
            lambda cnn_size, cnn_acc, mlp_size, mlp_acc: (
                f"The CNN reaches {cnn_acc} test accuracy with {cnn_size} parameters; "
                f"the MLP, with {mlp_size}, reaches {mlp_acc}."
            ),
        ),
    ],
}
