#!/usr/bin/python3
"""Train an architecture with PyTorch, for accuracy (and wall-time) comparison with nasgrow.

usage: /usr/bin/python3 test/reference/torch_train.py
          (--arch ARCH.json|FILE.safetensors | --family vgg19|mobilenetv1 --width 16[,w2,...] [--input 3,32,32] [--classes 10])
          [--init INIT.safetensors] --data fashion-mnist|cifar10-jpeg|ngdset [--data-path PATH] [--cache-npz PATH]
          [--epochs 1] [--batch 64] [--lr 0.05] [--momentum 0.9] [--weight-decay 1e-4]
          [--schedule cosine|step|const] [--per-batch] [--milestones 0.5,0.75] [--gamma 0.1]
          [--augment] [--threads 2] [--seed 0] [--eval-batch 500] [--limit-train N] [--save OUT.safetensors]

One JSON line per epoch: {"epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc",
"train_seconds", "seconds"} and a final {"final": true, ...} line. Diagnostics go to stderr.

Data: Fashion-MNIST from the gzipped IDX files (default /usr/share/datasets/fashion-mnist/);
CIFAR-10 from the JPEG tarball (default /work/shared/data/cifar10-jpeg.tar.gz, decoded with PIL),
an extracted copy of it, or a pre-decoded .npz (train_x/test_x uint8 [N,C,H,W] or [N,H,W,C],
train_y/test_y); --cache-npz writes/reads such a file so the 60,000 JPEGs are decoded once;
--data ngdset --data-path TRAIN.ngdset,TEST.ngdset reads nasgrow's own decode cache (same pixels).
Inputs are scaled to [0,1] and normalised with the train set's per-channel mean and population std.
Training batches: a fresh permutation each epoch (torch.Generator seeded with --seed), drop_last.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nasgrow_ref as ref  # noqa: E402


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description='Train a nasgrow architecture with PyTorch')
    g = ap.add_argument_group('architecture')
    g.add_argument('--arch', help='ArchState JSON file, or a .safetensors with "arch" metadata')
    g.add_argument('--family', choices=['vgg19', 'mobilenetv1'])
    g.add_argument('--width', help='one width, or a comma list of per-layer widths')
    g.add_argument('--input', help='C,H,W (default: from the data set)')
    g.add_argument('--classes', type=int, default=10)
    g.add_argument('--init', help='initial weights (safetensors with nasgrow names); default: '
                                  "nasgrow's init distributions drawn by torch with --seed")
    d = ap.add_argument_group('data')
    d.add_argument('--data', required=True, choices=['fashion-mnist', 'cifar10-jpeg', 'ngdset'])
    d.add_argument('--data-path', help='fashion-mnist: IDX folder; cifar10-jpeg: tarball, extracted '
                                       'folder or .npz; ngdset: TRAIN.ngdset,TEST.ngdset (nasgrow\'s '
                                       'decode cache files, i.e. exactly its decoded pixels)')
    d.add_argument('--cache-npz', help='CIFAR-10: decoded .npz cache; read if it exists, else written')
    d.add_argument('--limit-train', type=int, help='use only the first N training images of the '
                                                   'shuffled order (smoke tests)')
    t = ap.add_argument_group('training')
    t.add_argument('--epochs', type=int, default=1)
    t.add_argument('--batch', type=int, default=64)
    t.add_argument('--lr', type=float, default=0.05)
    t.add_argument('--momentum', type=float, default=ref.SGD_MOMENTUM)
    t.add_argument('--weight-decay', type=float, default=ref.WEIGHT_DECAY)
    t.add_argument('--schedule', choices=['cosine', 'step', 'const'], default='cosine')
    t.add_argument('--per-batch', action='store_true',
                   help='step the schedule every batch (cosine T_max = epochs*steps_per_epoch; step '
                        'milestones in batches); default: every epoch (cosine T_max = epochs)')
    t.add_argument('--milestones', default='0.5,0.75',
                   help='step schedule: fractions of the run after which lr *= gamma')
    t.add_argument('--gamma', type=float, default=0.1)
    t.add_argument('--augment', action='store_true', help='RandomCrop(H, padding=4) + horizontal flip')
    t.add_argument('--threads', type=int, default=2)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--eval-batch', type=int, default=500)
    t.add_argument('--save', help='write the final weights and running statistics here')
    a = ap.parse_args(argv)
    if not a.arch and not (a.family and a.width):
        if a.init and 'arch' in ref.read_safetensors(a.init)[1]:
            a.arch = a.init  # the initial weights carry their architecture
        else:
            ap.error('give --arch, or --family and --width (or an --init file with "arch" metadata)')
    return a


def load_data(a):
    if a.data == 'fashion-mnist':
        return ref.load_fashion_mnist(a.data_path or '/usr/share/datasets/fashion-mnist/')
    if a.data == 'ngdset':
        files = (a.data_path or '').split(',')
        if len(files) != 2:
            sys.exit('--data ngdset needs --data-path TRAIN.ngdset,TEST.ngdset')
        tx, ty, _ = ref.read_ngdset(files[0])
        vx, vy, _ = ref.read_ngdset(files[1])
        return tx, ty, vx, vy
    path = a.data_path or '/work/shared/data/cifar10-jpeg.tar.gz'
    if a.cache_npz and os.path.exists(a.cache_npz):
        return ref.load_npz(a.cache_npz)
    data = ref.load_cifar10_jpeg(path)
    if a.cache_npz:
        ref.save_npz(a.cache_npz, *data)
    return data


def evaluate(model, x_u8, y, mean, std, batch):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            xb = ref.normalize(x_u8[i:i + batch], mean, std)
            out = model(xb)
            total_loss += F.cross_entropy(out, y[i:i + batch], reduction='sum').item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return total_loss / len(y), correct / len(y)


def main(argv=None):
    a = parse_args(argv)
    ref.ensure_glibc_tunables()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    t0 = time.perf_counter()
    tx, ty, vx, vy = load_data(a)
    log(f'data: train {tx.shape} test {vx.shape} loaded in {time.perf_counter() - t0:.1f}s')
    if a.arch:
        arch = ref.parse_arch(a.arch)
    else:
        width = [int(w) for w in a.width.split(',')]
        shape = [int(s) for s in a.input.split(',')] if a.input else list(tx.shape[1:])
        arch = ref.seed_arch(a.family, width[0] if len(width) == 1 else width, shape, a.classes)
    if list(arch['inputShape']) != list(tx.shape[1:]):
        sys.exit(f"architecture inputShape {arch['inputShape']} != data {list(tx.shape[1:])}")

    mean_np, std_np = ref.channel_stats(tx)
    mean, std = torch.from_numpy(mean_np), torch.from_numpy(std_np)
    pad_value = -mean / std  # a black pixel after normalisation (torchvision pads raw pixels with 0)
    log(f'normalisation: mean {mean_np.round(4).tolist()} std {std_np.round(4).tolist()}')
    tx, ty, vx, vy = map(torch.from_numpy, (tx, ty, vx, vy))

    model = ref.build_model(arch)
    if a.init:
        tensors, _ = ref.read_safetensors(a.init)
        ref.load_tensors(model, tensors)
    else:
        ref.init_like_nasgrow(model, a.seed)
    opt = ref.make_sgd(model, a.lr, a.momentum, a.weight_decay)

    n_train = min(len(ty), a.limit_train) if a.limit_train else len(ty)
    steps = n_train // a.batch
    if steps == 0:
        sys.exit(f'batch {a.batch} is larger than the training set ({n_train})')
    units = a.epochs * steps if a.per_batch else a.epochs
    if a.schedule == 'cosine':
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=units)
    elif a.schedule == 'step':
        ms = sorted({int(round(float(f) * units)) for f in a.milestones.split(',')})
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=ms, gamma=a.gamma)
    else:
        sched = None

    n_params = sum(p.numel() for p in model.parameters())
    log(f'arch {arch["family"]} widths {[l["width"] for l in arch["layers"]]} params {n_params} '
        f'MMAC/img {ref.mac_count(arch) / 1e6:.2f}; {steps} steps/epoch, threads {torch.get_num_threads()}')
    gen = torch.Generator().manual_seed(a.seed)
    start = time.perf_counter()
    train_seconds_total = 0.0
    best = 0.0
    for epoch in range(1, a.epochs + 1):
        e0 = time.perf_counter()
        lr_epoch = opt.param_groups[0]['lr']
        model.train()
        perm = torch.randperm(len(ty), generator=gen)[:n_train]
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for s in range(steps):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            xb = ref.normalize(tx[idx], mean, std)
            if a.augment:
                xb = ref.augment(xb, pad_value, gen)
            yb = ty[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None and a.per_batch:
                sched.step()
            loss_sum += loss.detach()
            correct += (out.detach().argmax(1) == yb).sum()
        if sched is not None and not a.per_batch:
            sched.step()
        train_seconds = time.perf_counter() - e0
        train_seconds_total += train_seconds
        test_loss, test_acc = evaluate(model, vx, vy, mean, std, a.eval_batch)
        best = max(best, test_acc)
        print(json.dumps({'epoch': epoch, 'lr': lr_epoch, 'train_loss': loss_sum.item() / steps,
                          'train_acc': correct.item() / (steps * a.batch), 'test_loss': test_loss,
                          'test_acc': test_acc, 'train_seconds': round(train_seconds, 3),
                          'seconds': round(time.perf_counter() - e0, 3)}), flush=True)
    if a.save:
        ref.write_safetensors(a.save, ref.model_tensors(model), {'arch': json.dumps(arch)})
    print(json.dumps({'final': True, 'epochs': a.epochs, 'test_loss': test_loss, 'test_acc': test_acc,
                      'best_test_acc': best, 'params': n_params, 'mmac_per_img': ref.mac_count(arch) / 1e6,
                      'train_img_per_s': round(a.epochs * steps * a.batch / train_seconds_total, 1),
                      'seconds': round(time.perf_counter() - start, 3), 'threads': torch.get_num_threads(),
                      'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
