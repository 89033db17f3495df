"""The second everyday-use audit's findings around files: each test failed before its fix."""

import numpy as np
import pytest

import nn


def saved_checkpoint(tmp_path):
    model = nn.MLP([2, 3, 2], seed=0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    return nn.utils.save_checkpoint(tmp_path / "run.npz", model, optimizer), model, optimizer


def test_nn_load_of_a_checkpoint_says_which_function_reads_it(tmp_path):
    # It said "holds weights only: nn.load(model, path)", and that then listed model/... as unexpected names.
    path, model, _ = saved_checkpoint(tmp_path)
    before = model.layers[0].weight.data.copy()
    for load in (lambda: nn.load(path), lambda: nn.load(model, path), lambda: nn.read_info(path)):
        with pytest.raises(ValueError, match=r"is a training checkpoint .*nn\.utils\.load_checkpoint\(path, model"):
            load()
    np.testing.assert_array_equal(model.layers[0].weight.data, before)  # nothing was loaded


def test_load_checkpoint_errors_name_load_checkpoint_and_a_checkpoint(tmp_path):
    # They said "nn.load: cannot read ... as a saved model (.npz written by nn.save)".
    _, model, optimizer = saved_checkpoint(tmp_path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(
        ValueError, match=r"^load_checkpoint: cannot read .*junk.npz' as a checkpoint \(.npz written by"
    ):
        nn.utils.load_checkpoint(tmp_path / "junk.npz", model, optimizer)
    with pytest.raises(FileNotFoundError, match=r"^load_checkpoint: no such file"):
        nn.utils.load_checkpoint(tmp_path / "missing.npz", model, optimizer)
    with pytest.raises(ValueError, match=r"^load_checkpoint: .* is not a regular file .*save_checkpoint"):
        nn.fit(
            model, nn.functional.cross_entropy, optimizer, np.zeros((4, 2)), np.zeros(4, int), epochs=1, resume=tmp_path
        )
    with pytest.raises(
        ValueError, match=r"^nn.load: cannot read .*junk.npz' as a saved model \(.npz written by nn.save"
    ):
        nn.load(model, tmp_path / "junk.npz")  # nn.load's own messages are as they were


def test_predict_refuses_a_column_it_needs_twice_and_ignores_unneeded_unnamed_ones(tmp_path):
    from nn.predict import load_features

    (tmp_path / "dup.csv").write_text("a,b,a\n1,2,3\n4,5,6\n")  # 'a' twice: header.index took the first for both
    with pytest.raises(ValueError, match=r"load_features: .*dup.csv: the columns \['a'\] appear more than once"):
        load_features(tmp_path / "dup.csv", ["a", "b"])
    (tmp_path / "index.csv").write_text(",b,a\n0,2,1\n1,5,4\n")  # pandas' index column: not needed, ignored
    np.testing.assert_array_equal(load_features(tmp_path / "index.csv", ["a", "b"]), [[1.0, 2.0], [4.0, 5.0]])
