"""Same-sitting PyTorch reference for `deno task bench:nn` (not part of the product).

Times the same PPO minibatch update (batch 64: forward in train mode with dropout,
SB3's PPO loss, backward, clip_grad_norm_(0.5), Adam eps 1e-5) and eval-mode
forward passes at batch 1 and 8 for every preset, written in plain PyTorch (no
Stable-Baselines3 bookkeeping, so this is a lower bound of SB3's time), one
thread. The networks are the torch rebuilds of
tests/fixtures/extractors/make_torch_extractors.py. Run with Debian's torch and
tuned malloc as ANCHORS.md did:

    MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 \\
      /usr/bin/python3 bench/nn_torch_reference.py [preset,preset,...]

Each round repeats a call until 0.25 s have passed; figures are medians over 7
rounds of the mean time per call.
"""
import importlib.util
import json
import math
import pathlib
import statistics
import sys
import time

import torch
from torch import nn

_spec = importlib.util.spec_from_file_location(
    "torch_extractors",
    pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/extractors/make_torch_extractors.py")
_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_models)
torch.set_default_dtype(torch.float32)  # the fixture module switches to float64
torch.set_num_threads(1)
torch.manual_seed(0)


def ppo_update(policy, opt, batch):
    rays, drive, actions, old_logp, adv, returns = batch
    _features, mean, value = policy(rays, drive)
    std = policy.log_std.exp()
    logp = (-0.5 * ((actions - mean) / std) ** 2 - policy.log_std - 0.5 * math.log(2 * math.pi)).sum(1)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    ratio = torch.exp(logp - old_logp)
    pg = -torch.min(adv * ratio, adv * torch.clamp(ratio, 0.8, 1.2)).mean()
    vf = ((returns - value.flatten()) ** 2).mean()
    loss = pg + 0.5 * vf
    with torch.no_grad():
        log_ratio = logp - old_logp
        _approx_kl = ((torch.exp(log_ratio) - 1) - log_ratio).mean().item()
        _clip_fraction = ((ratio - 1).abs() > 0.2).float().mean().item()
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(policy.parameters(), 0.5)
    opt.step()


def median_ms(fn, warmup, rounds=7, round_s=0.25):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while n == 0 or time.perf_counter() - t0 < round_s:
            fn()
            n += 1
        times.append((time.perf_counter() - t0) / n * 1000)
    return statistics.median(times)


rows = []
presets = sys.argv[1].split(",") if len(sys.argv) > 1 else list(_models.DEFAULTS)
for preset in presets:
    family, params = _models.DEFAULTS[preset]
    policy = _models.Policy(_models.FAMILIES[family](**params))
    n_params = sum(p.numel() for p in policy.parameters())
    opt = torch.optim.Adam(policy.parameters(), lr=3e-4, eps=1e-5)
    b = 64
    batch = (torch.rand(b, 3, 272), torch.rand(b, 3, 5), torch.rand(b, 2), torch.rand(b) - 2,
             torch.rand(b), torch.rand(b))
    policy.train()
    rows.append({"preset": preset, "batch": b, "params": n_params,
                 "ms_per_update": round(median_ms(lambda: ppo_update(policy, opt, batch), 3), 3)})
    policy.eval()
    for bs in (1, 8):
        rays, drive = torch.rand(bs, 3, 272), torch.rand(bs, 3, 5)

        def fwd():
            with torch.no_grad():
                policy(rays, drive)

        rows.append({"preset": preset, "batch": bs,
                     "ms_per_inference": round(median_ms(fwd, 50), 4)})
json.dump(rows, sys.stdout, indent=2)
print()
