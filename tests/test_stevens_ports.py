"""Stevens, Antiga & Viehmann, *Deep Learning with PyTorch* (Manning, 2020), part 1, chapters 3-4, ported with
``torch = ag``: the tensor as a view of a storage (size, storage offset, stride), views against copies,
transposes and contiguity, dtypes, numpy interop and serialisation (ch. 3), then the book's real-data recipes on
synthetic data of the same shapes (ch. 4): images' channel permutes and per-channel normalisation, the wine
table's normalisation, thresholds and one-hot ``scatter_``, the bike-sharing series reshaped to days, and one-hot
text. The book's printed shapes, strides and offsets are the oracles, with torch's where it helps.
Chapters 5-6 are in test_stevens_ports_training.py, 7-8 in test_stevens_ports_convnets.py.

What the port needed (each a gap, with the test below that failed before): ``t.storage()``,
``t.untyped_storage()``, ``t.storage_offset()``, ``t.data_ptr()``, ``t.is_contiguous()`` (AttributeError);
``t.view(...)`` silently copied a non-contiguous tensor, so writes through the "view" were lost (torch refuses,
and so does it now, naming ``.contiguous()`` and ``.reshape``), and ``contiguous()`` returned the tensor itself;
the in-place ``unsqueeze_`` (3.5's ``weights.unsqueeze(-1).unsqueeze_(-1)``), ``squeeze_``, ``transpose_``,
``t_``; ``torch.short`` and ``t.short()``; ``torch.lt`` and its neighbours as functions (4.3's
``torch.lt(total_sulfur_data, threshold)``); ``torch.save(points, f)`` / ``torch.load(f)`` with an open file.

Where the spelling differs here: tensors from Python floats are float64 (numpy's default; the book's float32 is
``dtype=torch.float32``), so the float tests say so; named tensors (``refine_names``) are not offered: 3.4's
einsum does the same work.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F

torch = ag


def _points():
    return torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])


# ------------------------------------------------------------------- 3.7 storage, offset, size and stride
def test_3_7_a_tensor_is_a_view_of_its_storage_with_the_books_offset_size_and_stride():
    points = _points()
    assert points.storage().tolist() == [4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
    assert len(points.storage()) == 6 and points.storage()[1] == 1.0
    second_point = points[1]
    assert second_point.storage_offset() == 2 and second_point.size() == (2,) and second_point.stride() == (1,)
    assert points.stride() == (2, 1) and points[1:, 1].storage_offset() == 3 and points[2].storage_offset() == 4
    # the row's storage is the whole block, not a copy of the row
    assert second_point.storage().tolist() == points.storage().tolist()
    assert second_point.storage().data_ptr() == points.storage().data_ptr()
    assert second_point.data_ptr() == points.data_ptr() + 2 * points.storage().element_size()


def test_3_7_writing_into_the_storage_or_a_view_changes_the_tensor_and_clone_does_not():
    points = _points()
    points_storage = points.storage()
    points_storage[0] = 2.0
    assert points.tolist()[0] == [2.0, 1.0]
    second_point = points[1]
    second_point[0] = 10.0
    assert points[1, 0].item() == 10.0
    copy = points[2].clone()
    copy[0] = 99.0
    assert points[2, 0].item() == 2.0 and copy.storage().data_ptr() != points.storage().data_ptr()
    with pytest.raises(IndexError, match="index 6 is out of range for a storage of size 6"):
        points.storage()[6]
    with pytest.raises(TypeError, match="index with an int or a slice"):
        points.storage()[1.0]


def test_3_8_transposing_swaps_strides_over_the_same_storage():
    points = _points()
    points_t = points.t()
    assert points_t.storage().data_ptr() == points.storage().data_ptr()  # the book: id(storage) equal
    assert points_t.untyped_storage().data_ptr() == points.untyped_storage().data_ptr()
    assert points.untyped_storage().nbytes() == 6 * 8 and points.untyped_storage().dtype == np.uint8
    assert points_t.stride() == (1, 2) and points_t.shape == (2, 3)
    some_t = torch.ones(3, 4, 5)
    transpose_t = some_t.transpose(0, 2)
    assert (some_t.shape, transpose_t.shape) == ((3, 4, 5), (5, 4, 3))
    assert (some_t.stride(), transpose_t.stride()) == ((20, 5, 1), (1, 5, 20))


def test_3_8_contiguous_makes_a_row_major_copy_the_book_prints():
    points = _points()
    points_t = points.t()
    assert points.is_contiguous() and not points_t.is_contiguous()
    points_t_cont = points_t.contiguous()
    assert points_t_cont.tolist() == [[4.0, 5.0, 2.0], [1.0, 3.0, 1.0]]
    assert points_t_cont.stride() == (3, 1) and points_t_cont.is_contiguous()
    assert points_t_cont.storage().tolist() == [4.0, 5.0, 2.0, 1.0, 3.0, 1.0]
    assert points.contiguous() is points  # already contiguous: the tensor itself, as torch's


def test_3_8_view_of_a_non_contiguous_tensor_is_refused_naming_contiguous_and_reshape():
    points_t = _points().t()
    with pytest.raises(ValueError, match=r"view: cannot view a tensor of shape \(2, 3\) with strides \(1, 2\) as "):
        points_t.view(6)
    with pytest.raises(ValueError, match=r"use \.contiguous\(\)\.view\(\.\.\.\) or \.reshape\(\.\.\.\)"):
        points_t.view(-1)
    flat = points_t.contiguous().view(-1)
    assert flat.tolist() == [4.0, 5.0, 2.0, 1.0, 3.0, 1.0]
    with pytest.raises(
        ValueError, match=r"view: .* shape \(3, 2\) \(6 elements\) as \(4,\): the sizes must multiply to 6"
    ):
        _points().view(4)
    with pytest.raises(ValueError, match=r"as \(-1, 4\): the sizes must multiply to 6"):
        _points().t().view(-1, 4)  # a wrong size is said first, not the layout


def test_3_8_view_never_copies_so_writes_reach_the_original():
    points = _points()
    flat = points.view(-1)
    flat[5] = -1.0
    assert points[2, 1].item() == -1.0
    # a non-contiguous tensor that can still be viewed (splitting an axis) is, sharing memory, as torch's
    m = torch.tensor(np.arange(24.0).reshape(4, 6)).t()
    split = m.view(6, 2, 2)
    split[0, 0, 0] = 100.0
    assert m[0, 0].item() == 100.0 and split.stride() == (1, 12, 6)


def test_3_8_layout_matches_torch_for_every_view_the_chapter_makes():
    torch_ = pytest.importorskip("torch")
    base = np.arange(60.0).reshape(3, 4, 5)
    views = {
        "row": lambda t: t[1],
        "rows": lambda t: t[1:],
        "column": lambda t: t[:, 2],
        "corner": lambda t: t[1:, 1:, 2:],
        "transpose": lambda t: t.transpose(0, 2),
        "permute": lambda t: t.permute(2, 0, 1),
        "unsqueeze": lambda t: t.unsqueeze(1),
        "expand": lambda t: t[:, :1].expand(3, 4, 5),
        "step": lambda t: t[:, ::2],
    }
    for name, view in views.items():
        ours, theirs = view(torch.tensor(base)), view(torch_.tensor(base))
        assert ours.stride() == theirs.stride(), name
        assert ours.storage_offset() == theirs.storage_offset(), name
        assert ours.is_contiguous() == theirs.is_contiguous(), name
        assert ours.contiguous().tolist() == theirs.contiguous().tolist(), name
        try:
            theirs.view(-1)
            viewable = True
        except RuntimeError:
            viewable = False
        if viewable:
            assert ours.view(-1).tolist() == theirs.view(-1).tolist(), name
        else:
            with pytest.raises(ValueError, match="view: cannot view"):
                ours.view(-1)


def test_3_8_overlapping_windows_view_one_storage_as_torchs_unfold():
    torch_ = pytest.importorskip("torch")
    series = np.arange(10.0)
    windows = torch.from_numpy(np.lib.stride_tricks.sliding_window_view(series, 3))  # numpy's Tensor.unfold
    theirs = torch_.tensor(series).unfold(0, 3, 1)
    assert windows.shape == tuple(theirs.shape) and windows.stride() == theirs.stride() == (1, 1)
    assert [windows[i].storage_offset() for i in range(8)] == list(range(8))  # window i starts at element i
    assert [theirs[i].storage_offset() for i in range(8)] == list(range(8))
    assert not windows.is_contiguous() and not theirs.is_contiguous()
    assert windows.storage().tolist() == series.tolist()
    with pytest.raises(ValueError, match="view: cannot view"):
        windows.view(-1)  # 24 numbers over 10 in memory: only a copy can flatten them
    assert windows.reshape(-1).tolist() == theirs.reshape(-1).tolist()


def test_3_8_contiguous_keeps_the_gradient_flowing():
    w = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (w.t().contiguous().view(-1) * torch.arange(6.0)).sum().backward()
    assert w.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]  # d/dw of sum(w.T.flat * k): k read back as w.T


# ------------------------------------------------------------------- 3.5 named-dimension-free weighting
def test_3_5_the_grayscale_weights_by_unsqueeze_in_place_equal_the_einsum():
    rng = np.random.default_rng(0)
    img_t = torch.tensor(rng.standard_normal((3, 5, 5)))
    batch_t = torch.tensor(rng.standard_normal((2, 3, 5, 5)))
    weights = torch.tensor([0.2126, 0.7152, 0.0722])
    unsqueezed_weights = weights.unsqueeze(-1).unsqueeze_(-1)
    assert unsqueezed_weights.shape == (3, 1, 1) and weights.shape == (3,)
    img_weights = img_t * unsqueezed_weights
    batch_weights = batch_t * unsqueezed_weights
    assert (batch_weights.shape, batch_t.shape) == ((2, 3, 5, 5), (2, 3, 5, 5))
    img_gray_weighted = img_weights.sum(-3)
    batch_gray_weighted = batch_weights.sum(-3)
    assert img_gray_weighted.shape == (5, 5) and batch_gray_weighted.shape == (2, 5, 5)
    fancy = torch.einsum("...chw,c->...hw", batch_t, weights)
    np.testing.assert_allclose(fancy.data, batch_gray_weighted.data, rtol=1e-14)
    np.testing.assert_allclose(img_t.mean(-3).data, img_t.data.mean(0), rtol=1e-14)


def test_3_5_shape_changes_in_place_share_memory_and_refuse_a_graph():
    x = torch.zeros(2, 3)
    assert x.t_() is x and x.shape == (3, 2) and x.stride() == (1, 3)
    assert x.transpose_(0, 1).shape == (2, 3) and x.is_contiguous()
    y = torch.zeros(1, 3, 1)
    assert y.squeeze_().shape == (3,)
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"unsqueeze_: changes the shape of .* x = x.unsqueeze\(0\)"):
        w.unsqueeze_(0)
    a, v = torch.ones(3), torch.ones(3, requires_grad=True)
    loss = (a * v).sum()
    a.unsqueeze_(0)  # the product saved a: it now refuses, rather than use a of the wrong shape
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ------------------------------------------------------------------- 3.5 dtypes
def test_3_5_dtypes_spelled_as_the_book_spells_them():
    double_points = torch.ones(10, 2, dtype=torch.double)
    short_points = torch.tensor([[1, 2], [3, 4]], dtype=torch.short)
    assert double_points.dtype == np.float64 and short_points.dtype == np.int16
    assert torch.zeros(10, 2).double().dtype == np.float64 and torch.zeros(10, 2).short().dtype == np.int16
    assert torch.zeros(10, 2).to(dtype=torch.double).dtype == np.float64
    assert torch.zeros(10, 2).to(torch.short).dtype == np.int16
    points_64 = torch.rand(5, dtype=torch.double)
    points_short = points_64.to(torch.short)
    assert (points_64 * points_short).dtype == np.float64  # promoted to the wider type, as the book shows
    assert torch.tensor([1, 2]).dtype == np.int64 and torch.tensor([1.0], dtype=torch.float32).dtype == np.float32


# ------------------------------------------------------------------- 3.10-3.12 numpy and serialisation
def test_3_10_numpy_and_from_numpy_share_memory_both_ways():
    points = torch.ones(3, 4)
    points_np = points.numpy()
    points_np[0, 0] = 5.0
    assert points[0, 0].item() == 5.0
    array = np.zeros((2, 2), dtype=np.float32)
    t = torch.from_numpy(array)
    t[1, 1] = 7.0
    assert array[1, 1] == 7.0 and t.dtype == np.float32 and t.storage().data_ptr() == array.ctypes.data


def test_3_12_save_and_load_by_name_and_through_an_open_file(tmp_path):
    points = _points()
    torch.save(points, tmp_path / "ourpoints.t")
    assert torch.load(tmp_path / "ourpoints.t").tolist() == points.tolist()
    with open(tmp_path / "ourpoints2.t", "wb") as f:
        assert torch.save(points, f) is None  # as torch.save: nothing returned for a file object
    with open(tmp_path / "ourpoints2.t", "rb") as f:
        loaded = torch.load(f)
    assert isinstance(loaded, ag.Tensor) and loaded.tolist() == points.tolist()
    buffer = io.BytesIO()
    torch.save({"points": points}, buffer)
    buffer.seek(0)
    assert torch.load(buffer)["points"].tolist() == points.tolist()
    with open(tmp_path / "text.t", "w") as f, pytest.raises(TypeError, match="open as text; open it with 'wb'"):
        torch.save(points, f)
    with open(tmp_path / "ourpoints.t") as f, pytest.raises(TypeError, match="open it in binary mode, 'rb'"):
        torch.load(f)
    with pytest.raises(ValueError, match=r"ag.load: cannot read 'BytesIO' as a file of arrays"):
        torch.load(io.BytesIO(b"not an npz"))


# ------------------------------------------------------------------- 4.1 images
def test_4_1_images_permute_to_channels_first_and_normalise_per_channel():
    rng = np.random.default_rng(1)
    img_arr = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    img = torch.from_numpy(img_arr)
    out = img.permute(2, 0, 1)
    assert out.shape == (3, 720, 1280) and out.stride() == (1, 3840, 3) and not out.is_contiguous()
    assert out.storage().data_ptr() == img_arr.ctypes.data  # the book: out shares img's storage
    batch = torch.zeros(3, 3, 256, 256, dtype=torch.uint8)
    for i in range(3):
        img_t = torch.from_numpy(rng.integers(0, 256, (256, 256, 4), dtype=np.uint8)).permute(2, 0, 1)
        batch[i] = img_t[:3]  # keep only the first 3 channels (drop alpha)
    batch = batch.float()
    batch /= 255.0
    for c in range(batch.shape[1]):
        mean = torch.mean(batch[:, c])
        std = torch.std(batch[:, c])
        batch[:, c] = (batch[:, c] - mean) / std
    per_channel = batch.data.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(per_channel.mean(1), 0.0, atol=1e-5)
    np.testing.assert_allclose(per_channel.std(1, ddof=1), 1.0, rtol=1e-5)


# ------------------------------------------------------------------- 4.3 the wine table
def _wine(n: int = 200, seed: int = 2):
    rng = np.random.default_rng(seed)
    table = rng.gamma(2.0, 20.0, (n, 12)).astype(np.float32)
    table[:, -1] = rng.integers(3, 10, n)  # quality 3..9, the last column
    return table


def test_4_3_wine_normalised_thresholded_and_one_hot_by_scatter():
    wineq = torch.from_numpy(_wine())
    data, target = wineq[:, :-1], wineq[:, -1].long()
    assert data.shape == (200, 11) and target.dtype == np.int64
    target_onehot = torch.zeros(target.shape[0], 10)
    target_onehot.scatter_(1, target.unsqueeze(1), 1.0)
    np.testing.assert_array_equal(target_onehot.data, np.eye(10)[target.data])
    assert target.unsqueeze(1).shape == (200, 1)
    data_mean, data_var = torch.mean(data, dim=0), torch.var(data, dim=0)
    data_normalized = (data - data_mean) / torch.sqrt(data_var)
    np.testing.assert_allclose(data_normalized.data.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data_normalized.data.var(0, ddof=1), 1.0, rtol=1e-5)
    bad_indexes = target <= 3
    assert bad_indexes.dtype == np.bool_ and bad_indexes.sum().item() == int((target.data <= 3).sum())
    bad_data = data[target <= 3]
    mid_data = data[(target > 3) & (target < 7)]
    good_data = data[target >= 7]
    assert bad_data.shape[0] + mid_data.shape[0] + good_data.shape[0] == 200
    threshold = torch.mean(data[:, 6]).item()
    predicted_indexes = torch.lt(data[:, 6], threshold)
    actual_indexes = target > 5
    n_matches = torch.sum(actual_indexes & predicted_indexes).item()
    assert n_matches == int(((data.data[:, 6] < threshold) & (target.data > 5)).sum())
    for name in ("lt", "le", "gt", "ge", "eq", "ne"):  # torch.<name>(x, y) is the operator, as the method
        assert getattr(torch, name)(target, 5).tolist() == getattr(target, name)(5).tolist()


def test_4_3_scatter_one_hot_equals_torch_and_one_hot():
    torch_ = pytest.importorskip("torch")
    target = np.random.default_rng(3).integers(0, 10, 50)
    ours = torch.zeros(50, 10).scatter_(1, torch.tensor(target).unsqueeze(1), 1.0)
    theirs = torch_.zeros(50, 10, dtype=torch_.float64).scatter_(1, torch_.tensor(target).unsqueeze(1), 1.0)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(ours.data, F.one_hot(torch.tensor(target), 10).data)


# ------------------------------------------------------------------- 4.4 the bike-sharing series
def test_4_4_bikes_reshaped_to_days_with_the_books_strides_and_weather_one_hot():
    rng = np.random.default_rng(4)
    bikes_numpy = rng.uniform(0.0, 1.0, (17520, 17)).astype(np.float32)
    bikes_numpy[:, 9] = rng.integers(1, 5, 17520)  # weather situation 1..4
    bikes = torch.from_numpy(bikes_numpy)
    assert (bikes.shape, bikes.stride()) == ((17520, 17), (17, 1))
    daily_bikes = bikes.view(-1, 24, bikes.shape[1])
    assert (daily_bikes.shape, daily_bikes.stride()) == ((730, 24, 17), (408, 17, 1))
    daily_bikes = daily_bikes.transpose(1, 2)
    assert (daily_bikes.shape, daily_bikes.stride()) == ((730, 17, 24), (408, 1, 17))
    first_day = bikes[:24].long()
    weather_onehot = torch.zeros(first_day.shape[0], 4)
    weather_onehot.scatter_(dim=1, index=first_day[:, 9].unsqueeze(1).long() - 1, value=1.0)
    np.testing.assert_array_equal(weather_onehot.data.argmax(1) + 1, first_day.data[:, 9])
    assert torch.cat((bikes[:24], weather_onehot), 1).shape == (24, 21)
    daily_weather_onehot = torch.zeros(daily_bikes.shape[0], 4, daily_bikes.shape[2])
    daily_weather_onehot.scatter_(1, daily_bikes[:, 9, :].long().unsqueeze(1) - 1, 1.0)
    daily_bikes = torch.cat((daily_bikes, daily_weather_onehot), dim=1)
    assert daily_bikes.shape == (730, 21, 24)
    np.testing.assert_array_equal(daily_weather_onehot.data.sum(1), 1.0)
    with pytest.raises(ValueError, match="view: cannot view"):  # the transposed days cannot be flattened back
        daily_bikes[:, :17].transpose(1, 2).transpose(1, 2).view(-1, 17)


# ------------------------------------------------------------------- 4.5 text
def test_4_5_letters_and_words_one_hot():
    line = "Impossible, Mr. Bennet, impossible, when I am not acquainted with him"
    letter_t = torch.zeros(len(line), 128)
    for i, letter in enumerate(line.lower().strip()):
        letter_index = ord(letter) if ord(letter) < 128 else 0
        letter_t[i][letter_index] = 1
    assert letter_t.sum().item() == len(line) and letter_t[0].argmax().item() == ord("i")
    words_in_line = line.lower().replace(",", " ").replace(".", " ").split()
    word2index_dict = {word: i for i, word in enumerate(sorted(set(words_in_line)))}
    word_t = torch.zeros(len(words_in_line), len(word2index_dict))
    for i, word in enumerate(words_in_line):
        word_t[i][word2index_dict[word]] = 1
    assert word_t.shape == (11, 10)  # 11 words, "impossible" twice
    np.testing.assert_array_equal(word_t.data.sum(1), 1.0)
