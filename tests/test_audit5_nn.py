"""Found by the fifth everyday-use audit: nn as a practitioner uses it on their own data and models
(data in, training, evaluation, saving, resuming), each checked without torch and against torch
where it is installed."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import functional as F
from nn.data import DataLoader, TensorDataset, random_split


def _moons(n=60, seed=0):
    X, y = nn.datasets.make_moons(n, noise=0.2, seed=seed)
    return X, y


def test_evaluate_and_fit_take_pytorchs_test_and_val_loaders_random_split_parts_included():
    X, y = _moons(60)
    model = nn.MLP([2, 8, 2], seed=0)
    by_arrays = nn.evaluate(model, F.cross_entropy, X, y)
    assert nn.evaluate(model, F.cross_entropy, DataLoader((X, y), batch_size=7)) == by_arrays
    _, test_part = random_split(TensorDataset(X, y), [0.75, 0.25], seed=0)
    rows = test_part.indices
    expected = nn.evaluate(model, F.cross_entropy, X[rows], y[rows])
    assert nn.evaluate(model, F.cross_entropy, DataLoader(test_part, batch_size=4)) == expected
    # the loss by hand, torch-free: mean cross-entropy of the test rows
    logits = model(X[rows]).data
    by_hand = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(len(rows)), y[rows]])
    assert expected[0] == pytest.approx(by_hand, rel=1e-12)

    histories = []
    for validation in ((X[rows], y[rows]), DataLoader(test_part, batch_size=5)):
        model = nn.MLP([2, 8, 2], seed=0)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
        histories.append(
            nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=2, validation=validation, progress=False)
        )
    assert histories[0].val_loss == histories[1].val_loss and len(histories[1].val_loss) == 2


def test_evaluate_names_itself_in_its_messages_and_asks_for_missing_targets():
    X, y = _moons(20)
    model = nn.MLP([2, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"^evaluate: X has 2 rows but y has 1 \(shape \(1,\)\)"):
        nn.evaluate(model, F.cross_entropy, X[0], y[:1])
    with pytest.raises(ValueError, match=r"^evaluate: X must have at least one row, got shape \(0, 2\)"):
        nn.evaluate(model, F.cross_entropy, X[:0], y[:0])
    with pytest.raises(TypeError, match=r"^evaluate: give the targets"):
        nn.evaluate(model, F.cross_entropy, X)
    with pytest.raises(TypeError, match=r"^evaluate: X is a DataLoader, which holds the targets too"):
        nn.evaluate(model, F.cross_entropy, DataLoader((X, y)), y)


@pytest.mark.parametrize("loss_fn, head", [(nn.BCEWithLogitsLoss(), []), (nn.BCELoss(), [nn.Sigmoid()])])
@pytest.mark.parametrize("dtype", [float, bool])
def test_binary_loss_modules_get_an_accuracy_as_their_functions_do(loss_fn, head, dtype):
    X, y = _moons(40)
    targets = y.reshape(-1, 1).astype(dtype)  # 0.0/1.0, or True/False as (y == 1) gives
    model = nn.Sequential(nn.Linear(2, 1, seed=0), *head)
    scores = model(X).data
    by_hand = np.mean((scores > (0.5 if head else 0.0)) == (targets > 0.5))  # the share of right sides
    assert nn.evaluate(model, loss_fn, X, targets)[1] == pytest.approx(by_hand)
    history = nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.0), X, targets, epochs=2, progress=False)
    assert history.train_acc == pytest.approx([by_hand, by_hand])  # lr 0: the weights never move


def test_load_state_dict_returns_pytorchs_missing_and_unexpected_keys():
    model = nn.MLP([3, 4, 2], seed=0)
    state = {"layers.0.weight": np.ones((4, 3)), "head.weight": np.ones(2)}
    missing, unexpected = model.load_state_dict(state, strict=False)  # PyTorch's unpacking
    assert (missing, unexpected) == (["layers.0.bias", "layers.2.weight", "layers.2.bias"], ["head.weight"])
    assert (model.layers[0].weight.data == 1).all()
    result = model.load_state_dict(model.state_dict())
    assert result.missing_keys == result.unexpected_keys == [] and repr(result) == "<All keys matched successfully>"
    torch = pytest.importorskip("torch")
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs = twin.load_state_dict({"0.weight": torch.ones(4, 3), "head.weight": torch.ones(2)}, strict=False)
    assert (len(theirs.missing_keys), theirs.unexpected_keys) == (len(missing), unexpected)
    assert repr(twin.load_state_dict(twin.state_dict())) == repr(result)


def test_labels_as_a_csv_gives_them_get_a_message_with_the_fix_that_works():
    """Class names, 1..K, 0.0/1.0 floats and int one-hot rows: each message gives a fix that runs,
    and running it trains (the loss equals the one of the labels done right)."""
    logits = Tensor(np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.3], [0.2, 0.1, 3.0], [1.0, 1.0, 1.0]]))
    y = np.array([0, 1, 2, 1])
    right = F.cross_entropy(logits, y).item()
    names = np.array(["cat", "dog", "eel", "dog"])
    with pytest.raises(TypeError, match=r"np\.unique\(y, return_inverse=True\)"):
        F.cross_entropy(logits, names)
    _, numbered = np.unique(names, return_inverse=True)
    assert F.cross_entropy(logits, numbered).item() == right
    with pytest.raises(ValueError, match=r"found min 1, max 3.*labels counted from 1 \(1\.\.3\).*give y - 1$"):
        F.cross_entropy(logits, y + 1)
    with pytest.raises(ValueError, match=r"they are whole numbers: convert with y\.astype\(np\.int64\)$"):
        F.cross_entropy(logits, y.astype(float))
    with pytest.raises(ValueError, match=r"one-hot rows: give y\.argmax\(axis=1\)"):
        F.cross_entropy(logits, np.eye(3, dtype=np.int64)[y])
    assert F.cross_entropy(logits, np.eye(3, dtype=np.int64)[y].argmax(axis=1)).item() == right
    with pytest.raises(ValueError) as not_whole:  # no integer advice for values that are no integers
        F.cross_entropy(logits, np.array([0.5, 1.0, 2.0, 1.0]))
    assert "whole" not in str(not_whole.value)
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match=r"^fit: X and y must be numeric.*np\.unique\(y, return_inverse=True\)"):
        model = nn.MLP([2, 3])
        nn.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), X, names, epochs=1, progress=False)


@pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(weight=np.array([1.0, 5.0, 10.0])), nn.CrossEntropyLoss()])
def test_evaluate_of_more_rows_than_one_chunk_is_the_loss_of_the_whole_set(monkeypatch, loss_fn):
    """A class-weighted (or ignore_index) mean weighs rows unevenly: averaging chunk means by row count
    gave another number (1.47 for 1.83 on 9,000 imbalanced rows, chunks of 4,096)."""
    monkeypatch.setattr(nn.evaluation, "EVAL_CHUNK", 16)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 3)), rng.integers(0, 3, 100)
    y[:32] = 0  # the first two chunks all class 0
    y[40:50] = -100  # ignored rows (PyTorch's padding label)
    model = nn.MLP([3, 8, 3], seed=0)
    logits = model(X).data
    kept = y != -100
    log_p = logits[kept] - np.log(np.exp(logits[kept]).sum(1, keepdims=True))
    w = np.ones(3) if loss_fn.weight is None else loss_fn.weight
    by_hand = -(w[y[kept]] * log_p[np.arange(kept.sum()), y[kept]]).sum() / w[y[kept]].sum()
    assert nn.evaluate(model, loss_fn, X, y)[0] == pytest.approx(by_hand, rel=1e-12)
    assert nn.evaluate(model, loss_fn, X, y)[0] == pytest.approx(loss_fn(model(X), y).item(), rel=1e-12)


def test_one_seed_fixes_weights_dropout_and_shuffling_as_torch_manual_seed_does():
    """ag.manual_seed (PyTorch's torch.manual_seed) left nn's own generator alone: a hand-written loop
    with unseeded Linear, Dropout and a shuffling DataLoader was silently different every run."""
    import autograd_core as ag

    X, y = _moons(64)

    def run(seed_with):
        seed_with(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
        losses, orders = [], []
        for xb, yb in DataLoader((X, y), batch_size=16, shuffle=True):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            orders.append(yb.copy())
        return model.state_dict(), losses, orders

    first, again, other = run(ag.manual_seed), run(ag.manual_seed), run(nn.init.manual_seed)
    for a, b in ((first, again), (first, other)):
        assert all(np.array_equal(a[0][k], b[0][k]) for k in a[0]) and a[1] == b[1]
        assert all(np.array_equal(p, q) for p, q in zip(a[2], b[2]))
    different = run(lambda seed: ag.manual_seed(1))
    assert different[1] != first[1]
    ag.manual_seed(0)
    shuffled = next(yb for _, yb in DataLoader((np.arange(10.0), np.arange(10)), batch_size=10, shuffle=True))
    assert sorted(shuffled) == list(range(10)) and list(shuffled) != list(range(10))  # still a permutation


def test_a_pytorch_batchnorm_state_dict_says_what_its_counter_is_and_loads_with_strict_false():
    model = nn.Sequential(nn.Linear(4, 5, seed=0), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2, seed=1))
    ported = {**model.state_dict(), "1.num_batches_tracked": np.array(3)}
    ported["1.running_mean"] = np.full(5, 0.5)
    with pytest.raises(ValueError, match=r"1\.num_batches_tracked \(PyTorch's BatchNorm counter.*pass strict=False\)$"):
        model.load_state_dict(ported)
    assert (model[1].running_mean == 0).all()  # nothing changed
    assert model.load_state_dict(ported, strict=False).unexpected_keys == ["1.num_batches_tracked"]
    assert (model[1].running_mean == 0.5).all()
    torch = pytest.importorskip("torch")
    twin = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    twin(torch.randn(8, 4))  # running statistics move
    model.load_state_dict({k: v.double().numpy() for k, v in twin.state_dict().items()}, strict=False)
    x = np.random.default_rng(0).normal(size=(3, 4))
    expected = twin.eval()(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(model.eval()(x).data, expected, rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_takes_the_string_inf_as_pytorch_does():
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    (w * np.array([3.0, -4.0, 1.0])).sum().backward()
    total = nn.utils.clip_grad_norm_([w], 2.0, norm_type="inf")
    assert total.item() == 4.0  # the largest |g|
    np.testing.assert_allclose(w.grad, np.array([3.0, -4.0, 1.0]) * 2.0 / (4.0 + 1e-6), rtol=1e-15)
    with pytest.raises(ValueError, match=r"norm_type must be a number >= 1 or math\.inf, got 'two'"):
        nn.utils.clip_grad_norm_([w], 2.0, norm_type="two")


def test_predict_on_one_row_writes_it_and_says_one_prediction(tmp_path, capsys):
    from nn import predict

    model = nn.MLP([2, 4, 2], seed=0)
    nn.save(model, tmp_path / "m.npz", task="classification", class_names=["no", "yes"], feature_names=["a", "b"])
    (tmp_path / "one.csv").write_text("b,a\n0.5,1.5\n")  # columns by name, in another order
    assert (
        predict.main([str(tmp_path / "m.npz"), "--data", str(tmp_path / "one.csv"), "--out", str(tmp_path / "p.csv")])
        == 0
    )
    assert capsys.readouterr().out == f"wrote 1 prediction to {tmp_path / 'p.csv'}\n"
    header, row = (tmp_path / "p.csv").read_text().splitlines()
    probabilities = np.exp(model(np.array([[1.5, 0.5]])).data[0])
    probabilities /= probabilities.sum()
    assert header == "prediction,p_no,p_yes" and row.split(",")[0] == ["no", "yes"][probabilities.argmax()]
    np.testing.assert_allclose([float(v) for v in row.split(",")[1:]], probabilities, atol=1e-6)


def test_a_single_feature_column_given_flat_is_told_to_reshape():
    x = np.linspace(-1, 1, 20)  # df["x"].values: one feature, flat
    model = nn.MLP([1, 4, 1], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: the model cannot take X of shape \(20,\).*X\.reshape\(-1, 1\)$"):
        nn.fit(model, F.mse_loss, optimizer, x, 2 * x, epochs=1, progress=False)
    history = nn.fit(model, F.mse_loss, optimizer, x.reshape(-1, 1), 2 * x.reshape(-1, 1), epochs=1, progress=False)
    assert len(history.train_loss) == 1


def test_a_last_batch_of_one_row_is_refused_before_training_a_batchnorm_model_and_drop_last_trains_it():
    """65 rows in batches of 32 failed in BatchNorm1d at the end of the first epoch, with advice for
    a hand-written loop (batches of >= 2 rows) and none for fit's own batching."""
    X, y = _moons(65)
    model = nn.Sequential(nn.Linear(2, 8, seed=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2, seed=1))
    before = model.state_dict()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: 65 rows in batches of 32 leave a last batch of 1 row.*\(e\.g\. 33\)"):
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=2, batch_size=32, progress=False)
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())  # nothing trained
    loader = DataLoader((X, y), batch_size=32, shuffle=True, seed=0, drop_last=True)
    history = nn.fit(model, F.cross_entropy, optimizer, loader, epochs=2, progress=False)
    assert len(history.train_loss) == 2
    plain = nn.MLP([2, 8, 2], seed=0)  # no BatchNorm: a one-row batch is fine
    nn.fit(
        plain, F.cross_entropy, nn.optim.SGD(plain.parameters(), lr=0.1), X, y, epochs=1, batch_size=32, progress=False
    )


def test_saving_and_loading_written_the_pytorch_way_or_swapped_get_one_line_with_the_call(tmp_path):
    model = nn.MLP([3, 4, 2], seed=0)
    optimizer = nn.optim.Adam(model.parameters())
    path = str(tmp_path / "m.npz")
    for wrong, args in (("dict", (model.state_dict(), path)), ("Adam", (optimizer, path)), ("str", (path, model))):
        with pytest.raises(TypeError, match=rf"^nn\.save: expected a Module, got {wrong}; .*nn\.save\(model, path\)"):
            nn.save(*args)
    assert not (tmp_path / "m.npz").exists()
    nn.save(model, path)
    with pytest.raises(TypeError, match=r"^nn\.load: expected a Module, got str; write nn\.load\(model, path\)$"):
        nn.load(path, model)
    with pytest.raises(TypeError, match=r"got MLP; nn\.load\(path\) returns a model: .*nn\.load\(model, path\)"):
        model.load_state_dict(nn.load(path))
    for function in (nn.utils.save_checkpoint, nn.utils.load_checkpoint):
        with pytest.raises(
            TypeError, match=rf"^{function.__name__}: .*got a MLP and a str first; the path comes first"
        ):
            function(model, str(tmp_path / "c.npz"))
    assert not (tmp_path / "c.npz").exists()


class _BagOfWords(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 8, seed=0)
        self.head = nn.Linear(8, 2, seed=0)

    def forward(self, ids):
        return self.head(self.embedding(ids).mean(axis=1))


def test_fit_and_evaluate_keep_token_ids_integer_for_an_embedding_model():
    """fit cast X to the weights' float dtype, so an nn.Embedding model was told to convert its (already
    int64) ids with idx.astype(np.int64), and could not be trained or evaluated with nn's own loop."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, size=(64, 5))
    y = (ids.sum(1) > 125).astype(np.int64)
    model, by_hand = _BagOfWords(), _BagOfWords()
    history = nn.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.5), ids, y, epochs=2, progress=False)
    optimizer = nn.optim.SGD(by_hand.parameters(), lr=0.5)
    loader = DataLoader((ids, y), batch_size=32, shuffle=True, seed=0)  # fit's own batches
    for _ in range(2):
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(by_hand(xb), yb).backward()
            optimizer.step()
    for mine, theirs in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-12, atol=1e-15)
    loss, accuracy = nn.evaluate(model, F.cross_entropy, ids, y)
    assert loss == pytest.approx(F.cross_entropy(model(ids), y).item(), rel=1e-12)
    assert accuracy == np.mean(model(ids).data.argmax(1) == y) and len(history.train_acc) == 2
    with pytest.raises(ValueError, match=r"Embedding: indices must be integers, got dtype float64"):  # not truncated
        nn.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.5), ids + 0.7, y, epochs=1, progress=False)
