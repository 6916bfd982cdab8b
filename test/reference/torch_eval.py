#!/usr/bin/python3
"""Forward pass in eval mode (BatchNorm uses the running statistics), for parity with nasgrow.

usage: /usr/bin/python3 test/reference/torch_eval.py IN.safetensors OUT.safetensors [--double] [--threads N]

IN  metadata: arch (ArchState JSON); tensors: images [B,C,H,W] F32, every parameter and running
    statistic by nasgrow name; optionally labels [B] I64.
OUT tensors (F32): logits [B,classes]; with labels also loss [] (mean CE) and correct [].
"""
import argparse
import json
import os
import sys

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
    a = ap.parse_args(argv)

    ref.set_deterministic(a.threads)
    dtype = torch.float64 if a.double else torch.float32
    tensors, meta = ref.read_safetensors(a.input)
    if 'arch' not in meta:
        sys.exit(f'{a.input}: metadata "arch" (the ArchState JSON) is missing')
    model = ref.build_model(json.loads(meta['arch'])).to(dtype)
    ref.load_tensors(model, tensors)
    model.eval()
    x = torch.as_tensor(tensors['images']).to(dtype)
    with torch.no_grad():
        logits = model(x)
    out = {'logits': logits}
    if 'labels' in tensors:
        y = torch.as_tensor(tensors['labels']).to(torch.int64).reshape(-1)
        out['loss'] = F.cross_entropy(logits, y).reshape(())
        out['correct'] = (logits.argmax(1) == y).sum().reshape(())
    out = {k: v.to(torch.float32) for k, v in out.items()}
    ref.write_safetensors(a.output, out, {'dtype': str(dtype).replace('torch.', ''), 'torch': torch.__version__})


if __name__ == '__main__':
    main()
