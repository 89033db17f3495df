"""nanoGPT's ``train.py`` core, ported as its reader writes it: the cosine learning rate with warmup (get_lr), AdamW
over configure_optimizers' two groups (decay for matrices only), gradient accumulation, clip_grad_norm_, the loss
scaler, get_batch over an ``np.memmap`` of uint16 tokens, estimate_loss; and the lines it runs on every machine:
``torch.backends.cuda.matmul.allow_tf32 = True``, the ``{'bfloat16': torch.bfloat16, ...}`` table,
``torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))`` (which warns and steps aside without CUDA, as torch's).

Each of those lines raised AttributeError before ``ag.amp``, ``ag.bfloat16`` and the ``backends`` flags. The CPU
loss scaler is checked against closed forms and against torch's ``torch.amp.GradScaler("cpu")``.
"""

import warnings
from contextlib import nullcontext

import numpy as np
import pytest
from transformer_helpers_nanogpt import GPTConfig, get_lr, nanogpt

import autograd_core as torch
import nn

src = nanogpt(torch, nn, nn.optim)


# ---------------------------------------------------------------- get_lr
def test_get_lr_warms_up_linearly_then_decays_as_a_half_cosine_to_min_lr():
    lr, warmup, decay, floor = 6e-4, 10, 110, 6e-5
    schedule = np.array([get_lr(it, lr, warmup, decay, floor) for it in range(130)])
    np.testing.assert_allclose(schedule[:warmup], lr * np.arange(1, warmup + 1) / (warmup + 1), rtol=1e-15)
    assert schedule[warmup] == lr and schedule[decay] == pytest.approx(floor, rel=1e-12)
    assert schedule[(warmup + decay) // 2] == pytest.approx((lr + floor) / 2, rel=1e-12)  # cos(pi/2) = 0
    assert np.all(np.diff(schedule[warmup : decay + 1]) < 0) and np.all(schedule[decay + 1 :] == floor)


# ---------------------------------------------------------------- AdamW's two groups
def test_adamw_decays_the_matrices_only_as_configure_optimizers_groups_them():
    model = nanogpt(torch, nn, nn.optim).GPT(GPTConfig(block_size=4, vocab_size=7, n_layer=1, n_head=2, n_embd=8))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)  # biases and norms away from 0 and 1, so a decay would show
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=0.01, betas=(0.9, 0.95), device_type="cpu")
    for p in model.parameters():
        p.grad = np.zeros(p.shape)  # Adam's own step is then 0: what is left is the decoupled decay
    optimizer.step()
    for name, p in model.named_parameters():
        factor = 1 - 0.01 * 0.1 if p.dim() >= 2 else 1.0
        np.testing.assert_allclose(p.numpy(), before[name] * factor, rtol=1e-15, err_msg=name)


def test_adamw_groups_get_lr_and_clipping_equal_torch_for_six_steps():
    real = pytest.importorskip("torch")
    cfg = dict(block_size=8, vocab_size=13, n_layer=2, n_head=2, n_embd=16, dropout=0.0)
    torch.manual_seed(0)
    ours = src.GPT(GPTConfig(**cfg))
    theirs = nanogpt(real, real.nn, real.optim).GPT(GPTConfig(**cfg)).double()
    theirs.load_state_dict({k: real.tensor(v) for k, v in ours.state_dict().items()})
    opt = ours.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
    their_opt = theirs.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
    idx = np.random.RandomState(0).randint(0, 13, (4, 8))
    for it in range(6):
        for optimizer in (opt, their_opt):
            for param_group in optimizer.param_groups:
                param_group["lr"] = get_lr(it, 1e-2, 2, 5, 1e-3)
        loss = ours(torch.tensor(idx[:, :-1]), torch.tensor(idx[:, 1:]))[1]
        their_loss = theirs(real.tensor(idx[:, :-1]), real.tensor(idx[:, 1:]))[1]
        assert loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
        loss.backward()
        their_loss.backward()
        norm = nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
        assert float(norm) == pytest.approx(float(real.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5)), rel=1e-12)
        opt.step(), their_opt.step()
        opt.zero_grad(set_to_none=True), their_opt.zero_grad(set_to_none=True)
    theirs_by_name = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.numpy(), theirs_by_name[name].detach().numpy(), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- the loop, as train.py writes it
def test_train_py_learns_a_periodic_token_stream_through_its_scaler_and_accumulation(tmp_path):
    # prepare.py's files: the train and val splits as uint16 tokens
    stream = np.tile(np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.uint16), 200)
    stream[:1200].tofile(tmp_path / "train.bin")
    stream[1200:].tofile(tmp_path / "val.bin")
    batch_size, block_size, gradient_accumulation_steps, eval_iters, grad_clip = 8, 8, 2, 4, 1.0
    device = "cpu"
    device_type = "cuda" if "cuda" in device else "cpu"
    dtype = "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"
    torch.manual_seed(1337)
    torch.backends.cuda.matmul.allow_tf32 = True  # allow tf32 on matmul
    torch.backends.cudnn.allow_tf32 = True  # allow tf32 on cudnn
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type=device_type, dtype=ptdtype)
    assert dtype == "float16" and ptdtype is np.float16  # no bf16 here: train.py picks float16 ...

    def get_batch(split):
        data = np.memmap(tmp_path / f"{split}.bin", dtype=np.uint16, mode="r")
        ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([torch.from_numpy((data[i : i + block_size]).astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy((data[i + 1 : i + 1 + block_size]).astype(np.int64)) for i in ix])
        return x.to(device), y.to(device)

    model = src.GPT(GPTConfig(block_size=block_size, vocab_size=10, n_layer=1, n_head=2, n_embd=16, bias=False))
    with pytest.warns(UserWarning, match="CUDA is not available"):  # ... and its scaler for CUDA steps aside
        scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16"))
    assert not scaler.is_enabled()
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), device_type)

    def estimate_loss():
        out = {}
        model.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    _logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    first = estimate_loss()
    X, Y = get_batch("train")
    for iter_num in range(60):
        lr = get_lr(iter_num, 1e-2, 5, 60, 1e-3)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        for _micro_step in range(gradient_accumulation_steps):
            with ctx:
                _logits, loss = model(X, Y)
                loss = loss / gradient_accumulation_steps
            X, Y = get_batch("train")
            scaler.scale(loss).backward()
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
    losses = estimate_loss()
    message = f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}"
    assert first["val"] > 2.0 and losses["val"] < 0.3, message  # ln(10) = 2.3 at first; the period is learned
    context = torch.tensor([[3, 1, 4, 1]], dtype=torch.long, device=device)
    np.testing.assert_array_equal(model.generate(context, 8, top_k=1).numpy()[0, 4:], [5, 9, 2, 6, 3, 1, 4, 1])


def test_compile_true_as_ag_compile_of_the_training_step_equals_the_eager_steps():
    # train.py's `model = torch.compile(model)` compiles the module's forward; ag.compile compiles a whole step
    # (forward and backward, the loss returned), so a reader compiles the loss of the model's call
    idx = torch.tensor(np.random.RandomState(3).randint(0, 13, (4, 9)))
    X, Y = idx[:, :-1].contiguous(), idx[:, 1:].contiguous()
    runs = []
    for compiled in (False, True):
        torch.manual_seed(0)
        model = src.GPT(GPTConfig(block_size=8, vocab_size=13, n_layer=1, n_head=2, n_embd=16))
        optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
        step = torch.compile(lambda X, Y, model=model: model(X, Y)[1])
        losses = []
        for _ in range(5):
            if compiled:
                loss = step(X, Y)
            else:
                loss = model(X, Y)[1]
                loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
        runs.append(losses)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-12)
    assert runs[0][-1] < runs[0][0] - 0.2


# ---------------------------------------------------------------- the loss scaler on the CPU
def scaled_sgd_run(torch_lib, scaler, grads_per_step):
    """Steps of SGD through ``scaler`` on w = [1, 2], the loss sum(w * g) for each step's g: the scales seen."""
    w = torch_lib.tensor([1.0, 2.0], dtype=torch_lib.float64, requires_grad=True)
    optimizer = (torch_lib.optim if hasattr(torch_lib, "optim") else nn.optim).SGD([w], lr=0.1)
    scales = []
    for g in grads_per_step:
        scales.append(scaler.get_scale())
        scaler.scale((w * torch_lib.tensor(g, dtype=torch_lib.float64)).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
    return scales, w.detach().numpy()


def test_grad_scaler_skips_a_step_with_inf_halves_the_scale_and_grows_it_after_clean_steps():
    grads = [[1.0, 1.0], [np.inf, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    scaler = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    scales, w = scaled_sgd_run(torch, scaler, grads)
    assert scales == [8.0, 8.0, 4.0, 4.0, 8.0]  # clean, inf (backs off), clean, clean (grows), ...
    np.testing.assert_allclose(w, np.array([1.0, 2.0]) - 0.1 * 4)  # four steps taken, the inf one skipped
    assert scaler.state_dict()["_growth_tracker"] == 1
    fresh = torch.amp.GradScaler("cpu")
    fresh.load_state_dict(scaler.state_dict())
    assert fresh.get_scale() == 8.0 and fresh.state_dict() == scaler.state_dict()


def test_grad_scaler_equals_torch_cpu_scaler_on_the_same_steps():
    real = pytest.importorskip("torch")
    grads = [[1.0, 2.0], [np.nan, 1.0], [0.5, 0.5], [1.0, 1.0], [np.inf, 0.0], [1.0, -1.0], [2.0, 2.0]]
    ours = scaled_sgd_run(torch, torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=2), grads)
    theirs = scaled_sgd_run(real, real.amp.GradScaler("cpu", init_scale=16.0, growth_interval=2), grads)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-15)


def test_grad_scaler_disabled_passes_through_and_cuda_warns_then_steps_aside():
    w = torch.tensor([1.0], requires_grad=True)
    loss = (3 * w).sum()
    assert torch.amp.GradScaler(enabled=False).scale(loss) is loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enabled=False is silent
        torch.cuda.amp.GradScaler(enabled=False)
    with pytest.warns(UserWarning, match=r"GradScaler is enabled for 'cuda', but CUDA is not available"):
        scaler = torch.amp.GradScaler("cuda")
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}


def test_grad_scaler_refuses_bad_settings_a_second_unscale_and_a_non_tensor():
    with pytest.raises(ValueError, match=r"GradScaler: need growth_factor > 1.*got 0.5, 0.5"):
        torch.amp.GradScaler("cpu", growth_factor=0.5)
    scaler = torch.amp.GradScaler("cpu")
    with pytest.raises(TypeError, match=r"GradScaler\.scale: expected a Tensor \(the loss\), got float"):
        scaler.scale(1.5)
    w = torch.tensor([1.0], requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=0.1)
    scaler.scale(w.sum()).backward()
    scaler.unscale_(optimizer)
    assert w.grad[0] == 1.0
    with pytest.raises(RuntimeError, match="unscale_: already called for this optimizer since the last update"):
        scaler.unscale_(optimizer)


# ---------------------------------------------------------------- autocast, bfloat16, the backend flags
def test_autocast_on_the_cpu_is_refused_with_the_fix_and_for_cuda_warns_and_does_nothing():
    with pytest.raises(ValueError, match=r"autocast\(device_type='cpu'.*enabled=False.*nullcontext"):
        torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    with torch.amp.autocast(device_type="cpu", enabled=False):
        assert (torch.ones(2) @ torch.ones(2)).dtype == np.float64
    with pytest.warns(UserWarning, match="autocast is enabled for 'cuda'"):
        cast = torch.autocast("cuda", dtype=torch.float16)
    with cast:
        assert (torch.ones(2, dtype=torch.float32) * 2).dtype == np.float32


def test_bfloat16_can_be_listed_but_not_used_as_a_dtype():
    table = {"float32": torch.float32, "bfloat16": torch.bfloat16}
    assert table["bfloat16"] is torch.bfloat16 and not torch.cuda.is_bf16_supported()
    with pytest.raises(TypeError, match=r"zeros: unknown dtype ag\.bfloat16 \(numpy has no bfloat16: use ag\.float32"):
        torch.zeros(2, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match=r"numpy has no bfloat16"):
        torch.ones(2).to(torch.bfloat16)


def test_backend_flags_are_kept_and_cuda_seeding_does_nothing_as_without_a_gpu():
    flags = torch.backends.cudnn
    saved = (flags.deterministic, flags.benchmark)
    try:
        flags.deterministic, flags.benchmark = True, False  # the reproducibility recipe
        assert (flags.deterministic, flags.benchmark) == (True, False) and not flags.is_available()
    finally:
        flags.deterministic, flags.benchmark = saved
    torch.manual_seed(0)
    a = torch.rand(3).numpy()
    torch.manual_seed(0)
    torch.cuda.manual_seed(1)
    torch.cuda.manual_seed_all(2)  # no CUDA generator: the CPU's stream is untouched
    torch.cuda.empty_cache()
    np.testing.assert_array_equal(torch.rand(3).numpy(), a)
    assert "no effect" in repr(torch.backends.cuda.matmul)
