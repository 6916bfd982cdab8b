#!/usr/bin/python3
"""One SGD training step in PyTorch, for parity with nasgrow's training graph.

usage: /usr/bin/python3 test/reference/torch_step.py IN.safetensors OUT.safetensors [--double] [--threads N]

IN  metadata: arch (ArchState JSON), lr, momentum (default 0.9), weight_decay (default 1e-4)
    tensors:  images [B,C,H,W] F32, labels [B] I64 (F32 accepted), every parameter and running
              statistic by nasgrow name, and optionally momentum.<param> for every trainable param
              (present: installed as SGD momentum buffers, i.e. a non-first step; absent: first step).
OUT tensors (all F32): loss [], correct [] (#argmax == label, train-mode logits before the update),
              logits [B,classes], grad.<param> (d mean-CE / d param, before weight decay),
              <param> updated weights, momentum.<param> updated buffers, and the updated running
              statistics; metadata: dtype (float32|float64), torch version.
--double computes everything in float64 (results are rounded to F32 when written).
--activations also writes act.<module> [B,C,H,W], the output of every BatchNorm in the forward pass
              (the pre-activations whose side of the ReLU kink decides the gradient: a test can see
              where two engines' rounding put one on different sides).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nasgrow_ref as ref  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    ap.add_argument('input')
    ap.add_argument('output')
    ap.add_argument('--double', action='store_true', help='compute in float64')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--activations', action='store_true', help='also write every BatchNorm output as act.<module>')
    a = ap.parse_args(argv)

    ref.set_deterministic(a.threads)
    dtype = torch.float64 if a.double else torch.float32
    tensors, meta = ref.read_safetensors(a.input)
    if 'arch' not in meta:
        sys.exit(f'{a.input}: metadata "arch" (the ArchState JSON) is missing')
    arch = json.loads(meta['arch'])
    lr = float(meta['lr']) if 'lr' in meta else sys.exit(f'{a.input}: metadata "lr" is missing')
    momentum = float(meta.get('momentum', ref.SGD_MOMENTUM))
    wd = float(meta.get('weight_decay', ref.WEIGHT_DECAY))

    model = ref.build_model(arch).to(dtype)
    ref.load_tensors(model, tensors)
    model.train()
    params = ref.trainable_params(model)
    opt = ref.make_sgd(model, lr, momentum, wd)

    mom_names = [f'momentum.{n}' for n, _ in params]
    present = [m for m in mom_names if m in tensors]
    if present and len(present) != len(mom_names):
        missing = sorted(set(mom_names) - set(present))
        sys.exit(f'{a.input}: some momentum buffers are given but not {missing[:5]}...')
    for (n, p), m in zip(params, mom_names):
        if m in tensors:
            buf = torch.as_tensor(tensors[m]).to(dtype)
            if tuple(buf.shape) != tuple(p.shape):
                sys.exit(f'{a.input}: {m} has shape {list(buf.shape)}, {n} has {list(p.shape)}')
            opt.state[p]['momentum_buffer'] = buf.clone()

    x = torch.as_tensor(tensors['images']).to(dtype)
    y = torch.as_tensor(tensors['labels']).to(torch.int64).reshape(-1)
    if x.shape[0] != y.shape[0] or list(x.shape[1:]) != list(arch['inputShape']):
        sys.exit(f"{a.input}: images {list(x.shape)} and labels {list(y.shape)} do not fit inputShape {arch['inputShape']}")

    acts = {}
    if a.activations:
        for mname, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.register_forward_hook(lambda _m, _i, o, mname=mname: acts.__setitem__(f'act.{mname}', o.detach().clone()))

    opt.zero_grad(set_to_none=True)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    correct = (logits.detach().argmax(1) == y).sum()
    grads = {f'grad.{n}': p.grad.detach().clone() for n, p in params}
    opt.step()

    out = {'loss': loss.detach().reshape(()), 'correct': correct.to(torch.float32).reshape(()),
           'logits': logits.detach()}
    out.update(grads)
    out.update(acts)
    out.update(model.state_dict())  # updated weights and running statistics, paramSpecs order
    for n, p in params:
        out[f'momentum.{n}'] = opt.state[p]['momentum_buffer']
    out = {k: v.detach().to(torch.float32) for k, v in out.items()}
    ref.write_safetensors(a.output, out, {'dtype': str(dtype).replace('torch.', ''), 'torch': torch.__version__})


if __name__ == '__main__':
    main()
