"""A tensor's memory facts as torch names them, the default dtype, bernoulli, pickling a hooked tensor, and
the roll call of every Tensor-level name this gap list added (each raised AttributeError or TypeError before)."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

METHODS = """cumprod logcumsumexp cummax cummin diff quantile nanquantile median nanmedian mode count_nonzero aminmax
nan_to_num lerp hypot atan2 arctan2 logaddexp logaddexp2 sinc float_power frac trunc fix floor ceil round fmod
remainder addcmul addcdiv addmm baddbmm addmv frexp bitwise_and bitwise_or bitwise_xor bitwise_not logical_and
logical_or logical_xor logical_not __round__ unflatten view_as take narrow tensor_split diag_embed kron cross rot90
unique histc scatter_add scatter_add_ fill_diagonal_ index_put_ index_put scatter index_add bernoulli element_size
is_contiguous stride storage_offset data_ptr bfloat16 pin_memory share_memory_ is_pinned""".split()  # noqa: SIM905 (words)
FUNCTIONS = """cumprod logcumsumexp cummax cummin diff quantile nanquantile median nanmedian mode count_nonzero std_mean
var_mean aminmax nan_to_num lerp hypot atan2 arctan2 logaddexp logaddexp2 sinc float_power frac trunc fix floor ceil
fmod remainder addcmul addcdiv addmm baddbmm addmv frexp bitwise_and bitwise_or bitwise_xor bitwise_not logical_and
logical_or logical_xor logical_not unflatten take narrow tensor_split block_diag diag_embed cartesian_prod
combinations meshgrid kron cross cdist rot90 searchsorted unique histc scatter_add index_put bernoulli
set_default_dtype get_default_dtype""".split()  # noqa: SIM905


def test_every_name_of_the_gap_list_exists_as_torch_spells_it():
    assert not [name for name in METHODS if not callable(getattr(Tensor, name, None))]
    assert not [name for name in FUNCTIONS if not callable(getattr(ag, name, None))]
    assert set(FUNCTIONS) <= set(ag.__all__)
    namespace: dict[str, object] = {}
    exec("from autograd_core import *", namespace)  # noqa: S102 (the star import a notebook writes)
    assert {"lerp", "cdist", "median"} <= set(namespace) and "functions_math" not in namespace


def test_memory_facts_follow_numpy_s_layout():
    x = Tensor(np.zeros((3, 4)))
    assert (
        x.element_size() == 8 and x.float().element_size() == 4 and ag.tensor([1], dtype=ag.int16).element_size() == 2
    )
    assert x.is_contiguous() and not x.T.is_contiguous() and not Tensor([1.0]).expand(3, 2).is_contiguous()
    assert x.stride() == (4, 1) and x.T.stride() == (1, 4)
    row = x[1:]
    assert x.storage_offset() == 0 and row.storage_offset() == 4 and x[1, 2:].storage_offset() == 6
    assert row.data_ptr() == x.data_ptr() + 4 * 8 and x.clone().data_ptr() != x.data_ptr()
    assert x.pin_memory() is x and x.share_memory_() is x and not x.is_pinned()


def test_bfloat16_is_refused_naming_what_to_use():
    with pytest.raises(TypeError, match=r"bfloat16: numpy has no bfloat16 dtype.*t\.half\(\).*t\.float\(\)"):
        Tensor([1.0]).bfloat16()


def test_the_default_dtype_is_float64_and_a_switch_is_refused_naming_dtype():
    assert ag.get_default_dtype() is np.float64 and ag.tensor([1.5]).dtype == ag.get_default_dtype()
    ag.set_default_dtype(ag.float64)  # the one it has: accepted, nothing changes
    with pytest.raises(ValueError, match=r"set_default_dtype: .*cannot change \(got float32\); pass dtype="):
        ag.set_default_dtype(ag.float32)
    assert ag.zeros(2).dtype == np.float64  # the refusal changed nothing


def test_bernoulli_draws_from_the_engine_s_generator():
    ag.manual_seed(3)
    first = ag.bernoulli(ag.full((1000,), 0.3))
    ag.manual_seed(3)
    assert np.array_equal(first.data, ag.bernoulli(ag.full((1000,), 0.3)).data)  # reproducible by manual_seed
    assert set(np.unique(first.data)) <= {0.0, 1.0} and abs(first.mean().item() - 0.3) < 0.05  # 3.5 sigma
    g1, g2 = ag.Generator().manual_seed(9), ag.Generator().manual_seed(9)
    t = ag.zeros(50, dtype=ag.float32)
    assert np.array_equal(t.bernoulli(0.5, generator=g1).data, t.bernoulli(0.5, generator=g2).data)
    assert t.bernoulli(0.5).dtype == np.float32 and Tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    probs = Tensor([0.2, 0.9], requires_grad=True)
    assert not ag.bernoulli(probs).requires_grad  # no gradient, as torch's
    with pytest.raises(ValueError, match=r"bernoulli: probabilities must be in \[0, 1\]"):
        Tensor([1.5]).bernoulli()
    with pytest.raises(TypeError, match="bernoulli: needs floating-point probabilities, got int64"):
        ag.tensor([1]).bernoulli()


def test_a_pickled_tensor_keeps_its_gradient_but_drops_its_hooks_with_a_warning():
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: g * 2)
    w.grad = np.array([0.5, 0.5])
    with pytest.warns(UserWarning, match=r"its 1 hook\(s\) \(<lambda>\) are not serialized .* as PyTorch's"):
        clone = pickle.loads(pickle.dumps(w))  # before: PicklingError on the lambda
    assert clone.grad.tolist() == [0.5, 0.5] and not clone.has_hooks
    clone.grad = None
    (clone * clone).sum().backward()
    assert clone.grad.tolist() == [2.0, 4.0]  # no doubling: the hook stayed behind
    (w * w).sum().backward()
    assert w.grad.tolist() == [0.5 + 4.0, 0.5 + 8.0]  # the original keeps its hook


def test_a_retained_non_leaf_keeps_retain_grad_through_pickle_and_deepcopy_drops_hooks_as_torch():
    x = Tensor([3.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g)
    with pytest.warns(UserWarning, match="not serialized"):
        state = h.__getstate__()
    assert state[0] is not None and "_hooks" not in state[0] and state[0]["_watched"] and h.has_hooks
    with pytest.warns(UserWarning, match="not serialized"):
        assert not copy.deepcopy(x.register_hook(lambda g: g) and x).has_hooks  # torch's deepcopy drops them too
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no hooks: no warning
        assert pickle.loads(pickle.dumps(Tensor([1.0], requires_grad=True))).tolist() == [1.0]
