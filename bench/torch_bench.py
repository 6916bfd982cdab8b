#!/usr/bin/python3
"""PyTorch training (or eval) throughput on random data, the baseline nasgrow's speed is compared to.

usage: /usr/bin/python3 bench/torch_bench.py --network vgg19-16|vgg19-64|mobilenetv1-32|FAMILY-WIDTH
          [--arch ARCH.json] [--mode train|eval] [--batch 64] [--threads 2] [--input 3,32,32] [--classes 10]
          [--warmup 5] [--steps 10] [--repeats 5]

Prints one JSON line: {"network", "mode", "img_per_s", "ms_per_step", "img_per_s_best", "batch",
"threads", "steps", "repeats", "ms_per_step_all", "mmac_per_img", "torch", "glibc_tunables"};
ms_per_step is the median over repeats of the mean step time within a repeat; img_per_s_best uses the
fastest repeat (the better estimate when other processes share the cores). A train step is forward, mean cross-entropy, backward and the SGD
Nesterov update (momentum 0.9, weight decay 1e-4) of all parameters, as torch_train.py does.

The settings of docs/performance.md#pytorch-reference are applied: torch.set_num_threads(--threads), and the process re-executes
itself with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296
when that is missing from the environment (glibc reads it only at start-up). Run it with nothing else
busy on the machine: spinning OpenMP threads of two processes make each other ~40x slower.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# the reference model (the same PyTorch networks the parity tests compare nasgrow with)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'reference'))
import nasgrow_ref as ref  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description='PyTorch throughput of a nasgrow architecture')
    ap.add_argument('--network', default='vgg19-16', help='FAMILY-WIDTH, e.g. vgg19-16, vgg19-64, mobilenetv1-32')
    ap.add_argument('--arch', help='ArchState JSON file instead of --network')
    ap.add_argument('--mode', choices=['train', 'eval'], default='train')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--input', default='3,32,32')
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args(argv)
    ref.ensure_glibc_tunables()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    if a.arch:
        arch = ref.parse_arch(a.arch)
        name = os.path.basename(a.arch)
    else:
        family, _, width = a.network.rpartition('-')
        arch = ref.seed_arch(family, int(width), [int(s) for s in a.input.split(',')], a.classes)
        name = a.network
    model = ref.build_model(arch)
    ref.init_like_nasgrow(model, a.seed)
    opt = ref.make_sgd(model, 0.01)
    x = torch.randn([a.batch] + list(arch['inputShape']))
    y = torch.randint(0, arch['classes'], (a.batch,))

    if a.mode == 'train':
        model.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return model(x)

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        times.append((time.perf_counter() - t0) / a.steps * 1e3)
    ms = statistics.median(times)
    print(json.dumps({'network': name, 'mode': a.mode, 'img_per_s': round(a.batch / ms * 1e3, 1),
                      'ms_per_step': round(ms, 3), 'img_per_s_best': round(a.batch / min(times) * 1e3, 1),
                      'batch': a.batch, 'threads': torch.get_num_threads(),
                      'steps': a.steps, 'repeats': a.repeats, 'ms_per_step_all': [round(t, 3) for t in times],
                      'mmac_per_img': round(ref.mac_count(arch) / 1e6, 3), 'torch': torch.__version__,
                      'glibc_tunables': os.environ.get('GLIBC_TUNABLES', '')}), flush=True)


if __name__ == '__main__':
    main()
