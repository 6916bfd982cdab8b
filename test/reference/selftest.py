#!/usr/bin/python3
"""Self-test of the reference: safetensors round trip (and byte identity with the TS encoder when
dist/ is built), model naming against paramSpecs, torch_step.py float32 vs --double, a second step
with momentum buffers, torch_eval.py, and a hand-written Nesterov update.

usage: /usr/bin/python3 test/reference/selftest.py [--keep DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import nasgrow_ref as ref  # noqa: E402

PY = sys.executable
failures = []


def check(cond, msg):
    print(('ok   ' if cond else 'FAIL ') + msg)
    if not cond:
        failures.append(msg)


def node_arch(expr):
    """The ArchState from the TS code itself, when dist/ is built; else None."""
    js = os.path.join(ROOT, 'dist/src/models/arch.js')
    if not os.path.exists(js) or not shutil.which('node'):
        return None
    out = subprocess.run(['node', '-e', f"const a=require({json.dumps(js)}); console.log(JSON.stringify({expr}))"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def node_param_names(arch):
    js = os.path.join(ROOT, 'dist/src/models/params.js')
    if not os.path.exists(js) or not shutil.which('node'):
        return None
    out = subprocess.run(['node', '-e', f"const p=require({json.dumps(js)}); console.log(JSON.stringify(p.paramSpecs({json.dumps(arch)}).map(s=>[s.name,s.shape,s.trainable])))"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def random_inputs(arch, batch, rng):
    t = {}
    for name, shape, trainable in ref.param_specs(arch):
        if name.endswith('running_var'):
            t[name] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
        elif name.endswith('running_mean'):
            t[name] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        elif name.endswith('bn.weight'):
            t[name] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif name.endswith('bn.bias'):
            t[name] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        else:
            fan_in = int(np.prod(shape[1:]))
            t[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    c, h, w = arch['inputShape']
    t['images'] = rng.standard_normal((batch, c, h, w)).astype(np.float32)
    t['labels'] = rng.integers(0, arch['classes'], batch).astype(np.int64)
    return t


def max_rel(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30)) if a.size else 0.0


def test_safetensors(tmp):
    rng = np.random.default_rng(1)
    t = {'a.weight': rng.standard_normal((3, 2, 3, 3)).astype(np.float32),
         'scalar': np.array(2.5, dtype=np.float32),
         'labels': rng.integers(-5, 10, 7).astype(np.int64),
         'empty': np.zeros((0, 4), np.float32),
         'odd': rng.standard_normal(5).astype(np.float32)}
    meta = {'arch': json.dumps({'family': 'vgg19', 'x': 'ünïcode "quoted"'}), 'lr': '0.05'}
    p = os.path.join(tmp, 'rt.safetensors')
    ref.write_safetensors(p, t, meta)
    raw = open(p, 'rb').read()
    n = int.from_bytes(raw[:8], 'little')
    check((8 + n) % 8 == 0, 'safetensors: data starts 8-byte aligned')
    back, m2 = ref.read_safetensors(p)
    same = list(back) == list(t) and all(back[k].dtype == t[k].dtype and back[k].shape == t[k].shape
                                         and np.array_equal(back[k], t[k]) for k in t)
    check(same and m2 == meta, 'safetensors: write/read round trip (F32, I64, scalar, empty, metadata)')
    js = os.path.join(ROOT, 'dist/src/util/safetensors.js')
    if os.path.exists(js) and shutil.which('node'):
        # The TS decoder reads our file and re-encodes it: the bytes must be identical.
        q = os.path.join(tmp, 'rt_ts.safetensors')
        code = (f"const s=require({json.dumps(js)}); const r=s.readSafetensors({json.dumps(p)});"
                f"s.writeSafetensors({json.dumps(q)}, r.tensors, r.metadata);")
        subprocess.run(['node', '-e', code], check=True)
        check(open(q, 'rb').read() == raw, 'safetensors: TS re-encoding of our file is byte-identical')
    else:
        print('skip safetensors byte identity with TS (dist/ not built)')


def run_step(inp, out, double):
    cmd = [PY, os.path.join(HERE, 'torch_step.py'), inp, out] + (['--double'] if double else [])
    subprocess.run(cmd, check=True)
    return ref.read_safetensors(out)[0]


def manual_step(arch, t, lr, mom, wd, bufs=None):
    """Independent float64 implementation of the step: autograd for gradients only, the SGD update
    written out (PyTorch semantics: buf = m*buf + (g + wd*p) [first step: buf = g + wd*p],
    p -= lr * (g + wd*p + m*buf))."""
    model = ref.build_model(arch).double()
    ref.load_tensors(model, t)
    model.train()
    x = torch.as_tensor(t['images']).double()
    y = torch.as_tensor(t['labels'])
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    res = {'loss': loss.item()}
    with torch.no_grad():
        for n, p in model.named_parameters():
            d = p.grad + wd * p
            buf = d.clone() if bufs is None else mom * torch.as_tensor(bufs[n]).double() + d
            res[n] = (p - lr * (d + mom * buf)).numpy()
            res['momentum.' + n] = buf.numpy()
            res['grad.' + n] = p.grad.numpy()
    for n, b in model.named_buffers():
        res[n] = b.numpy()
    return res


def test_arch(name, arch, tmp, batch=8):
    specs = ref.param_specs(arch)
    model = ref.build_model(arch)
    check(list(model.state_dict()) == [s[0] for s in specs], f'{name}: state_dict keys == paramSpecs names')
    check(all(list(v.shape) == s[1] for v, s in zip(model.state_dict().values(), specs)), f'{name}: shapes == paramSpecs shapes')
    check([n for n, _ in model.named_parameters()] == [s[0] for s in specs if s[2]], f'{name}: parameters() order == trainableSpecs')
    ts = node_param_names(arch)
    if ts is not None:
        check(ts == [[s[0], s[1], s[2]] for s in specs], f'{name}: names/shapes/trainable equal to the TS paramSpecs()')

    rng = np.random.default_rng(7)
    t = random_inputs(arch, batch, rng)
    lr, mom, wd = 0.05, 0.9, 1e-4
    meta = {'arch': json.dumps(arch), 'lr': str(lr), 'momentum': str(mom), 'weight_decay': str(wd)}
    inp = os.path.join(tmp, f'{name}_in.safetensors')
    ref.write_safetensors(inp, t, meta)
    o32 = run_step(inp, os.path.join(tmp, f'{name}_out32.safetensors'), False)
    o64 = run_step(inp, os.path.join(tmp, f'{name}_out64.safetensors'), True)
    o64b = run_step(inp, os.path.join(tmp, f'{name}_out64b.safetensors'), True)
    check(all(np.array_equal(o64[k], o64b[k]) for k in o64), f'{name}: two --double runs are bit-identical')
    worst = max(((max_rel(o32[k], o64[k]), k) for k in o64), key=lambda z: z[0])
    print(f'     {name}: float32 vs float64 worst relative (max|diff|/max|ref|) {worst[0]:.2e} at {worst[1]}; '
          f'loss {float(o64["loss"]):.6f}, correct {int(o64["correct"])}')
    check(worst[0] < 1e-4, f'{name}: float32 and --double agree (worst {worst[0]:.1e})')
    gw = max(max_rel(o32[k], o64[k]) for k in o64 if k.startswith('grad.'))
    check(gw < 1e-4, f'{name}: gradients float32 vs float64 worst {gw:.1e}')

    man = manual_step(arch, t, lr, mom, wd)
    err = max(max_rel(o64[k], man[k]) for k in man if k != 'loss')
    check(err < 1e-6 and abs(float(o64['loss']) - man['loss']) < 1e-6, f'{name}: first step == hand-written Nesterov update ({err:.1e})')
    expected_keys = {'loss', 'correct', 'logits'} | {s[0] for s in specs} | {'grad.' + s[0] for s in specs if s[2]} | {'momentum.' + s[0] for s in specs if s[2]}
    check(set(o64) == expected_keys, f'{name}: OUT holds exactly the documented tensors')
    check(o64['loss'].shape == () and o64['correct'].shape == (), f'{name}: loss and correct are scalars')

    # Second step: feed the updated weights, stats and momentum buffers back in.
    t2 = {k: v for k, v in o64.items() if k in t or k.startswith('momentum.')}
    t2['images'] = rng.standard_normal(t['images'].shape).astype(np.float32)
    t2['labels'] = rng.integers(0, arch['classes'], batch).astype(np.int64)
    inp2 = os.path.join(tmp, f'{name}_in2.safetensors')
    ref.write_safetensors(inp2, t2, meta)
    s2 = run_step(inp2, os.path.join(tmp, f'{name}_out2.safetensors'), True)
    bufs = {k[len('momentum.'):]: v for k, v in t2.items() if k.startswith('momentum.')}
    man2 = manual_step(arch, t2, lr, mom, wd, bufs)
    err2 = max(max_rel(s2[k], man2[k]) for k in man2 if k != 'loss')
    check(err2 < 1e-6, f'{name}: second step with momentum buffers == hand-written update ({err2:.1e})')

    # Eval: running statistics, matches a direct eval forward.
    ev = os.path.join(tmp, f'{name}_eval.safetensors')
    subprocess.run([PY, os.path.join(HERE, 'torch_eval.py'), inp, ev, '--double'], check=True)
    logits = ref.read_safetensors(ev)[0]['logits']
    m = ref.build_model(arch).double()
    ref.load_tensors(m, t)
    m.eval()
    with torch.no_grad():
        direct = m(torch.as_tensor(t['images']).double()).numpy()
    # by hand: BN in eval = (x - mean) / sqrt(var + eps) * g + b
    check(max_rel(logits, direct) < 1e-6, f'{name}: torch_eval logits')
    check(logits.shape == (batch, arch['classes']), f'{name}: logits shape')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keep', help='directory to keep the files in')
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix='nasgrow-ref-')
    os.makedirs(tmp, exist_ok=True)
    test_safetensors(tmp)
    archs = {'vgg19_16': ref.vgg19(16), 'mobilenetv1_32': ref.mobilenetv1(32),
             'vgg19_fmnist': ref.vgg19([8, 12, 16, 8, 8, 12, 16, 8, 8, 12, 16, 8, 8, 12, 16, 6], (1, 28, 28), 10)}
    for name, expr in (('vgg19_16', 'a.vgg19(16)'), ('mobilenetv1_32', 'a.mobilenetv1(32)'),
                       ('vgg19_fmnist', 'a.vgg19([8,12,16,8,8,12,16,8,8,12,16,8,8,12,16,6],[1,28,28],10)')):
        ts = node_arch(expr)
        if ts is not None:
            check(ts == archs[name], f'{name}: Python seed arch == TS {expr}')
            archs[name] = ts
    for name, arch in archs.items():
        test_arch(name, arch, tmp)
    if not a.keep:
        shutil.rmtree(tmp)
    print(f'{len(failures)} failure(s)')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
