"""The UvA Deep Learning Course, tutorials 5 (Inception, ResNet, DenseNet) and 6 (Transformers and multi-head
attention), ported with the notebooks' own classes (tests/uvadlc_models.py): the parameter counts of the
notebook's results table, the residual path as an identity, the blocks against torch; attention against its
closed form and ``nn.MultiheadAttention``, the mask, permutation equivariance, the sinusoidal encoding, the
cosine warm-up schedule, the reverse task learned with anti-diagonal attention, and the set anomaly task.

What the port needed: a scheduler written as PyTorch's custom ones are, a subclass of
``lr_scheduler._LRScheduler`` (torch's pre-2.0 name) defining ``get_lr()`` from ``self.last_epoch`` and
``self.base_lrs``: the name was an AttributeError and ``get_lr`` was never called (``LRScheduler`` read a
``factor(t)`` only).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.data as data
import nn.functional as F
from tests.uvadlc_models import (
    CosineWarmupScheduler,
    DenseNet,
    EncoderBlock,
    MultiheadAttention,
    PositionalEncoding,
    PreActResNetBlock,
    ResNet,
    ResNetBlock,
    expand_mask,
    scaled_dot_product,
)


def _count(model: nn.Module) -> int:
    return int(sum(np.prod(p.shape) for p in model.parameters()))


# ---------------------------------------------------------------------------------- tutorial 5
def test_5_the_parameter_counts_of_the_notebooks_results_table():
    assert _count(ResNet(block_name="ResNetBlock")) == 272_378  # the table: ResNet 0.27M
    assert _count(ResNet(block_name="PreActResNetBlock")) == 272_250  # ResNetPreAct: no input BN, no biases
    assert _count(DenseNet()) == 239_146  # DenseNet 0.24M


def test_5_kaiming_fan_out_and_batchnorm_init_of_init_params():
    ag.manual_seed(0)
    model = ResNet()
    conv = model.blocks[-1].net[3]  # a 64 -> 64 channel 3x3 convolution
    assert conv.weight.numpy().std() == pytest.approx(math.sqrt(2 / (64 * 3 * 3)), rel=0.03)  # gain^2 / fan_out
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 1 + 9 * 2 and all((m.weight.numpy() == 1).all() and not m.bias.numpy().any() for m in norms)
    out = model(ag.randn(2, 3, 8, 8))
    assert out.shape == (2, 10)


def test_5_a_zeroed_pre_activation_branch_is_the_identity_and_passes_the_gradient_unchanged():
    ag.manual_seed(1)
    block = PreActResNetBlock(c_in=4, act_fn=nn.ReLU)
    nn.init.zeros_(block.net[-1].weight)  # the residual branch F(x) = 0: the block is x + 0
    x = ag.randn(2, 4, 5, 5, requires_grad=True)
    out = block(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ag.tensor(upstream))
    np.testing.assert_array_equal(x.grad, upstream)  # the skip path: d(x + F(x))/dx = I + dF/dx = I


@pytest.mark.parametrize("block_class", [ResNetBlock, PreActResNetBlock])
def test_5_the_blocks_pass_finite_differences(block_class):
    ag.manual_seed(2)
    block = block_class(c_in=2, act_fn=nn.Tanh, subsample=True, c_out=3).to(ag.float64)
    x = ag.randn(2, 2, 4, 4, dtype=ag.float64, requires_grad=True)
    assert block(x).shape == (2, 3, 2, 2)  # subsampled: half the resolution, c_out channels
    assert ag.gradcheck(lambda t: block(t), (x,))  # (train mode: the batch statistics inside)


@pytest.mark.parametrize("block_class", [ResNetBlock, PreActResNetBlock])
def test_5_the_blocks_equal_torchs(block_class):
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ag.manual_seed(3)
    ours = block_class(c_in=3, act_fn=nn.ReLU, subsample=True, c_out=6)
    torch_act = tnn.ReLU
    if block_class is ResNetBlock:
        theirs = tnn.ModuleDict(
            {
                "net": tnn.Sequential(
                    tnn.Conv2d(3, 6, 3, padding=1, stride=2, bias=False),
                    tnn.BatchNorm2d(6),
                    torch_act(),
                    tnn.Conv2d(6, 6, 3, padding=1, bias=False),
                    tnn.BatchNorm2d(6),
                ),
                "downsample": tnn.Conv2d(3, 6, kernel_size=1, stride=2),
            }
        )
    else:
        theirs = tnn.ModuleDict(
            {
                "net": tnn.Sequential(
                    tnn.BatchNorm2d(3),
                    torch_act(),
                    tnn.Conv2d(3, 6, 3, padding=1, stride=2, bias=False),
                    tnn.BatchNorm2d(6),
                    torch_act(),
                    tnn.Conv2d(6, 6, 3, padding=1, bias=False),
                ),
                "downsample": tnn.Sequential(
                    tnn.BatchNorm2d(3), torch_act(), tnn.Conv2d(3, 6, 1, stride=2, bias=False)
                ),
            }
        )
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((4, 3, 6, 6))
    x_ours, x_theirs = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours = ours(x_ours)
    z = theirs["net"](x_theirs) + theirs["downsample"](x_theirs)
    out_theirs = torch.relu(z) if block_class is ResNetBlock else z
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_ours**2).sum().backward()
    (out_theirs**2).sum().backward()
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-9, atol=1e-11)
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


# ---------------------------------------------------------------------------------- tutorial 6
def test_6_scaled_dot_product_is_softmax_of_qk_over_sqrt_d_and_the_mask_zeroes_attention():
    seq_len, d_k = 3, 2
    ag.manual_seed(42)
    q, k, v = ag.randn(seq_len, d_k), ag.randn(seq_len, d_k), ag.randn(seq_len, d_k)
    values, attention = scaled_dot_product(q, k, v)
    logits = q.numpy() @ k.numpy().T / math.sqrt(d_k)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attention.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(values.numpy(), expected @ v.numpy(), rtol=1e-6)
    causal = ag.tril(ag.ones(seq_len, seq_len))
    _, masked = scaled_dot_product(q, k, v, mask=expand_mask(causal))
    assert masked.shape == (1, 1, seq_len, seq_len)
    assert (masked.numpy()[0, 0][causal.numpy() == 0] == 0).all()  # exp(-9e15 - max) underflows to 0
    np.testing.assert_allclose(masked.numpy().sum(axis=-1), 1.0, rtol=1e-6)


def test_6_the_notebooks_multihead_attention_equals_nn_multihead_attention_with_its_qkv_rows_regrouped():
    ag.manual_seed(4)
    embed_dim, heads, head_dim = 8, 2, 4
    ours = MultiheadAttention(embed_dim, embed_dim, heads)
    reference = nn.MultiheadAttention(embed_dim, heads, batch_first=True)
    # the notebook's rows run head by head, [q_h; k_h; v_h]; nn's (and torch's) run [q; k; v], head by head inside
    order = [h * 3 * head_dim + j * head_dim + r for j in range(3) for h in range(heads) for r in range(head_dim)]
    reference.load_state_dict(
        {
            "in_proj_weight": ours.qkv_proj.weight.numpy()[order],
            "in_proj_bias": ours.qkv_proj.bias.numpy()[order],
            "out_proj.weight": ours.o_proj.weight.numpy(),
            "out_proj.bias": ours.o_proj.bias.numpy(),
        }
    )
    x = ag.randn(3, 5, embed_dim)
    mask = ag.tril(ag.ones(5, 5))
    out, attention = ours(x, mask=mask, return_attention=True)
    out_ref, attention_ref = reference(x, x, x, attn_mask=mask == 0, average_attn_weights=False)
    np.testing.assert_allclose(out.numpy(), out_ref.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(attention.numpy(), attention_ref.numpy(), rtol=1e-9, atol=1e-12)


def test_6_without_positions_an_encoder_block_is_permutation_equivariant():
    ag.manual_seed(5)
    block = EncoderBlock(input_dim=8, num_heads=2, dim_feedforward=16)
    x = ag.randn(2, 6, 8)
    permutation = np.array([3, 0, 5, 1, 4, 2])
    np.testing.assert_allclose(block(x[:, permutation]).numpy(), block(x).numpy()[:, permutation], atol=1e-12)
    encoded = PositionalEncoding(d_model=8)
    assert not np.allclose(block(encoded(x[:, permutation])).numpy(), block(encoded(x)).numpy()[:, permutation])


def test_6_the_positional_encoding_is_its_sinusoids_and_a_shift_is_a_rotation():
    pe = PositionalEncoding(d_model=48, max_len=96).pe.squeeze().T.cpu().numpy()  # the notebook's plot: (48, 96)
    assert pe.shape == (48, 96)
    pos, i = np.arange(96)[None, :], np.arange(24)[:, None]
    angle = pos / 10000 ** (2 * i / 48)
    np.testing.assert_allclose(pe[0::2], np.sin(angle), atol=1e-5)  # float32, as torch's
    np.testing.assert_allclose(pe[1::2], np.cos(angle), atol=1e-5)
    shift = 7  # PE(pos + k) = R_k PE(pos): each (sin, cos) pair turns by the angle k * w_i
    w = 1 / 10000 ** (2 * np.arange(24) / 48)
    sin, cos = pe[0::2, :-shift], pe[1::2, :-shift]
    c, s = np.cos(shift * w)[:, None], np.sin(shift * w)[:, None]
    np.testing.assert_allclose(pe[0::2, shift:], sin * c + cos * s, atol=1e-4)
    np.testing.assert_allclose(pe[1::2, shift:], cos * c - sin * s, atol=1e-4)


def _lr_factor(epoch: int, warmup: int = 100, max_iters: int = 2000) -> float:
    factor = 0.5 * (1 + math.cos(math.pi * epoch / max_iters))
    return factor * epoch / warmup if epoch <= warmup else factor


def test_6_the_cosine_warmup_scheduler_subclassing_lr_scheduler_sets_its_get_lr():
    p = nn.Parameter(ag.empty(4, 4))
    optimizer = nn.optim.Adam([p], lr=1e-3)
    lr_scheduler = CosineWarmupScheduler(optimizer=optimizer, warmup=100, max_iters=2000)
    lrs = []
    for _ in range(2000):
        lrs.append(optimizer.param_groups[0]["lr"])
        lr_scheduler.step()
    np.testing.assert_allclose(lrs, [1e-3 * _lr_factor(e) for e in range(2000)], rtol=1e-12, atol=1e-18)
    assert lrs[0] == 0 and max(lrs) == lrs[100] and lr_scheduler.get_last_lr() == [1e-3 * _lr_factor(2000)]
    assert lr_scheduler.state_dict()["last_epoch"] == 2000 and not lr_scheduler.closed_form

    class Wrong(nn.optim.LRScheduler):
        def get_lr(self):
            return [0.1, 0.2]

    with pytest.raises(ValueError, match=r"Wrong\.get_lr: returned 2 learning rates for the optimizer's 1"):
        Wrong(optimizer)

    class Constant(nn.optim.LRScheduler):  # torch's subclasses pass last_epoch along: the default -1 is a start
        def __init__(self, optimizer, last_epoch=-1):
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return list(self.base_lrs)

    assert Constant(nn.optim.SGD([p], lr=0.5)).step() == 0.5
    with pytest.raises(ValueError, match=r"last_epoch=5: .*load_state_dict"):
        Constant(optimizer, last_epoch=5)


class ReverseDataset(data.Dataset):
    def __init__(self, num_categories: int, seq_len: int, size: int) -> None:
        super().__init__()
        self.num_categories, self.seq_len, self.size = num_categories, seq_len, size
        self.data = ag.randint(self.num_categories, size=(self.size, self.seq_len))

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx: int) -> tuple[ag.Tensor, ag.Tensor]:
        inp_data = self.data[idx]
        labels = ag.flip(inp_data, dims=(0,))
        return inp_data, labels


class TransformerPredictor(nn.Module):
    def __init__(self, num_classes: int, model_dim: int) -> None:
        super().__init__()
        self.input_net = nn.Sequential(nn.Dropout(0.0), nn.Linear(num_classes, model_dim))
        self.positional_encoding = PositionalEncoding(d_model=model_dim)
        self.block = EncoderBlock(input_dim=model_dim, num_heads=1, dim_feedforward=2 * model_dim)
        self.output_net = nn.Sequential(
            nn.Linear(model_dim, model_dim),
            nn.LayerNorm(model_dim),
            nn.ReLU(inplace=True),
            nn.Linear(model_dim, num_classes),
        )

    def embed(self, x: ag.Tensor) -> ag.Tensor:
        return self.positional_encoding(self.input_net(x))

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.output_net(self.block(self.embed(x)))


def test_6_the_reverse_task_is_learned_with_anti_diagonal_attention():
    ag.manual_seed(6)
    num_classes, seq_len = 5, 6  # (the notebook's 10 and 16, and 3900 steps at lr 5e-4: here 100 at 1e-2)
    loader = data.DataLoader(ReverseDataset(num_classes, seq_len, 3200), batch_size=64, shuffle=True, drop_last=True)
    model = TransformerPredictor(num_classes, model_dim=32)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = CosineWarmupScheduler(optimizer, warmup=10, max_iters=2 * len(loader))
    for _ in range(2):
        for inp_data, labels in loader:
            preds = model(F.one_hot(inp_data, num_classes=num_classes).float())
            loss = F.cross_entropy(preds.view(-1, preds.size(-1)), labels.view(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    test_inputs = ReverseDataset(num_classes, seq_len, 256).data
    test_labels = ag.flip(test_inputs, dims=(1,))  # (each row reversed)
    one_hot = F.one_hot(test_inputs, num_classes=num_classes).float()
    with ag.no_grad():
        acc = (model(one_hot).argmax(dim=-1) == test_labels).float().mean().item()
        _, attention = model.block.self_attn(model.embed(one_hot), return_attention=True)
    assert acc > 0.95  # the notebook: 100% test accuracy
    attended = attention.numpy()[:, 0].argmax(axis=-1)  # (N, T): the position each query looks at most
    assert (attended == np.arange(seq_len)[::-1]).mean() > 0.9  # query t reads token T - 1 - t


class SetAnomalyDataset(data.Dataset):
    """Tutorial 6's set anomaly task: set_size - 1 items of one class and one of another, shuffled; the label is
    the odd one's position. (The notebook's features come from a pre-trained ResNet34 on CIFAR-100; here they are
    class centres plus noise.)"""

    def __init__(self, img_feats: ag.Tensor, labels: ag.Tensor, set_size: int = 10, seed: int = 0) -> None:
        super().__init__()
        self.img_feats, self.labels, self.set_size = img_feats, labels, set_size - 1
        self.num_labels = labels.max() + 1
        self.img_idx_by_label = ag.argsort(self.labels).reshape(self.num_labels, -1)
        self.rng = np.random.default_rng(seed)

    def sample_img_set(self, anomaly_label: ag.Tensor) -> ag.Tensor:
        set_label = self.rng.integers(self.num_labels - 1)
        if set_label >= anomaly_label:
            set_label += 1
        img_indices = self.rng.choice(self.img_idx_by_label.shape[1], size=self.set_size, replace=False)
        return self.img_idx_by_label[set_label, img_indices]

    def __len__(self) -> int:
        return self.img_feats.shape[0]

    def __getitem__(self, idx: int) -> tuple[ag.Tensor, ag.Tensor, int]:
        anomaly = self.img_feats[idx]
        img_indices = self.sample_img_set(self.labels[idx])
        img_set = ag.cat([self.img_feats[img_indices], anomaly[None]], dim=0)
        label = img_set.shape[0] - 1  # the odd one last: without positional encoding the model cannot tell
        return img_set, img_indices, label


def test_6_the_set_anomaly_transformer_finds_the_odd_one_out_whatever_the_order():
    ag.manual_seed(7)
    centres = np.random.default_rng(7).standard_normal((8, 16))
    labels = ag.tensor(np.repeat(np.arange(8), 40))
    feats = ag.tensor(centres[labels.numpy()] + 0.5 * np.random.default_rng(8).standard_normal((320, 16)))
    dataset = SetAnomalyDataset(feats, labels, set_size=6)
    img_set, img_indices, label = dataset[3]
    assert img_set.shape == (6, 16) and label == 5
    assert len(set(labels[img_indices].tolist())) == 1 and labels[img_indices[0]].item() != labels[3].item()
    model = nn.Sequential(nn.Linear(16, 32), EncoderBlock(input_dim=32, num_heads=2, dim_feedforward=32))
    head = nn.Linear(32, 1)
    optimizer = nn.optim.Adam([*model.parameters(), *head.parameters()], lr=3e-3)
    loader = data.DataLoader(dataset, batch_size=64, shuffle=True, drop_last=True)
    for _ in range(6):
        for img_sets, _, batch_labels in loader:
            preds = head(model(img_sets)).squeeze(dim=-1)  # no positional encoding: a set, not a sequence
            loss = F.cross_entropy(preds, batch_labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    test_sets, _, test_labels = next(iter(data.DataLoader(SetAnomalyDataset(feats, labels, 6, seed=9), 320)))
    with ag.no_grad():
        preds = head(model(test_sets)).squeeze(dim=-1)
        reversed_preds = head(model(test_sets.flip(dims=(1,)))).squeeze(dim=-1)
    assert (preds.argmax(dim=-1) == test_labels).float().mean().item() > 0.9
    np.testing.assert_allclose(reversed_preds.numpy(), preds.numpy()[:, ::-1], atol=1e-10)  # equivariant
