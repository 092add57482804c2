"""Same-sitting PyTorch reference for `deno task bench:nn` (not part of the product).

Times the same PPO minibatch update (batch 64: forward in train mode with dropout,
SB3's PPO loss, backward, clip_grad_norm_(0.5), Adam eps 1e-5) and eval-mode
forward passes at batch 1 and 8 for dynamics_original and mlp_small, written in
plain PyTorch (no Stable-Baselines3 bookkeeping, so this is a lower bound of SB3's
time), one thread. Run with Debian's torch and tuned malloc as ANCHORS.md did:

    MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 \\
      /usr/bin/python3 bench/nn_torch_reference.py
"""
import json
import math
import statistics
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)


def mlp(sizes, act, dropout=0.0):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class DynamicsOriginal(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [3, 64, 16, 16, 16]
        layers = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv1d(a, b, 3, 2, 1), nn.ReLU(), nn.Dropout(0.3)]
        self.ray_extractor = nn.Sequential(*layers, nn.Flatten())
        self.dim = 287

    def forward(self, rays, drive):
        return torch.cat([self.ray_extractor(rays), drive.flatten(1)], dim=1)


class MlpSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.ray_extractor = nn.Sequential(nn.Flatten(), mlp([816, 64, 32], nn.ReLU, 0.1))
        self.drive_state_extractor = nn.Sequential(nn.Flatten(), mlp([15, 16, 8], nn.ReLU, 0.1))
        self.dim = 40

    def forward(self, rays, drive):
        return torch.cat([self.ray_extractor(rays), self.drive_state_extractor(drive)], dim=1)


class Policy(nn.Module):
    def __init__(self, extractor):
        super().__init__()
        self.features_extractor = extractor
        self.policy_net = mlp([extractor.dim, 64, 64], nn.Tanh)
        self.value_net_mlp = mlp([extractor.dim, 64, 64], nn.Tanh)
        self.action_net = nn.Linear(64, 2)
        self.value_net = nn.Linear(64, 1)
        self.log_std = nn.Parameter(torch.zeros(2))

    def forward(self, rays, drive):
        f = self.features_extractor(rays, drive)
        return self.action_net(self.policy_net(f)), self.value_net(self.value_net_mlp(f))


def ppo_update(policy, opt, batch):
    rays, drive, actions, old_logp, adv, returns = batch
    mean, value = policy(rays, drive)
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


def median_ms(fn, per_round, rounds=7, warmup=20):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(per_round):
            fn()
        times.append((time.perf_counter() - t0) / per_round * 1000)
    return statistics.median(times)


rows = []
for preset, ext in [("dynamics_original", DynamicsOriginal), ("mlp_small", MlpSmall)]:
    policy = Policy(ext())
    n_params = sum(p.numel() for p in policy.parameters())
    opt = torch.optim.Adam(policy.parameters(), lr=3e-4, eps=1e-5)
    b = 64
    batch = (torch.rand(b, 3, 272), torch.rand(b, 3, 5), torch.rand(b, 2), torch.rand(b) - 2,
             torch.rand(b), torch.rand(b))
    policy.train()
    rows.append({"preset": preset, "batch": b, "params": n_params,
                 "ms_per_update": round(median_ms(lambda: ppo_update(policy, opt, batch), 40), 3)})
    policy.eval()
    for bs in (1, 8):
        rays, drive = torch.rand(bs, 3, 272), torch.rand(bs, 3, 5)

        def fwd():
            with torch.no_grad():
                policy(rays, drive)

        rows.append({"preset": preset, "batch": bs,
                     "ms_per_inference": round(median_ms(fwd, 500, warmup=200), 4)})
json.dump(rows, sys.stdout, indent=2)
print()
