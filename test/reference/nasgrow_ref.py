"""PyTorch reference for nasgrow: architecture -> nn.Module, safetensors I/O, SGD, data, init.

Run with Debian's interpreter, /usr/bin/python3 (torch 1.13 CPU, numpy). Only numpy and torch are
needed here; PIL is needed only to decode the CIFAR-10 JPEG tarball (see load_cifar10_jpeg).

The module mirrors src/models/arch.ts and src/models/params.ts:
  * state_dict() keys and order are nasgrow's paramSpecs() names and order (BatchNorm's
    num_batches_tracked buffer is removed, so it is never read or written);
  * model.parameters() order is trainableSpecs() order, so the optimizer sees the same order.
"""
import gzip
import io
import json
import os
import struct
import sys
import tarfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
SGD_MOMENTUM = 0.9
WEIGHT_DECAY = 1e-4

# docs/performance.md#allocator: glibc's allocator thresholds, without which PyTorch's conv is several times slower.
GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296'


# --------------------------------------------------------------------------------------------------
# safetensors (the same bytes src/util/safetensors.ts writes and reads)
# --------------------------------------------------------------------------------------------------
_DTYPES = {'F32': np.dtype('<f4'), 'I64': np.dtype('<i8'), 'F64': np.dtype('<f8')}


def _dtype_name(a):
    if a.dtype == np.float32:
        return 'F32'
    if a.dtype == np.int64:
        return 'I64'
    raise TypeError(f'dtype {a.dtype} is not supported (F32 and I64 are)')


def encode_safetensors(tensors, metadata=None):
    """tensors: ordered mapping name -> np.ndarray (float32 or int64); torch tensors are accepted."""
    header = {}
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    arrays = []
    offset = 0
    for name, a in tensors.items():
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        a = np.asarray(a)
        dt = _dtype_name(a)
        a = np.asarray(a, dtype=_DTYPES[dt], order='C')  # (ascontiguousarray would make 0-d 1-d)
        header[name] = {'dtype': dt, 'shape': [int(d) for d in a.shape], 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
        arrays.append(a)
    # Same JSON layout as JSON.stringify (no spaces); padded with spaces so the data starts 8-aligned.
    js = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    js += b' ' * ((8 - (8 + len(js)) % 8) % 8)
    parts = [struct.pack('<Q', len(js)), js] + [a.tobytes() for a in arrays]
    return b''.join(parts)


def decode_safetensors(buf, source='safetensors data'):
    if len(buf) < 8:
        raise ValueError(f'{source}: file too short to be safetensors ({len(buf)} bytes)')
    (n,) = struct.unpack('<Q', buf[:8])
    if 8 + n > len(buf):
        raise ValueError(f'{source}: header length {n} runs past the end of the file (truncated?)')
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    base = 8 + n
    metadata = {}
    tensors = {}
    for name, e in header.items():
        if name == '__metadata__':
            metadata = dict(e)
            continue
        if e['dtype'] not in _DTYPES:
            raise ValueError(f"{source}: tensor {name} has unsupported dtype {e['dtype']}")
        b, end = e['data_offsets']
        if base + end > len(buf):
            raise ValueError(f'{source}: tensor {name} runs past the end of the file (truncated?)')
        a = np.frombuffer(buf, dtype=_DTYPES[e['dtype']], count=(end - b) // _DTYPES[e['dtype']].itemsize,
                          offset=base + b)
        tensors[name] = a.reshape(e['shape']).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Write then rename, as the TS writer does, so a killed process leaves no half-written file."""
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(encode_safetensors(tensors, metadata))
    os.replace(tmp, path)


def read_safetensors(path):
    """-> (dict name -> np.ndarray in file order, metadata dict of strings)"""
    with open(path, 'rb') as f:
        buf = f.read()
    return decode_safetensors(buf, path)


# --------------------------------------------------------------------------------------------------
# Architecture (mirror of src/models/arch.ts)
# --------------------------------------------------------------------------------------------------
def _expand(width, count, family):
    if isinstance(width, int):
        return [width] * count
    width = list(width)
    if len(width) != count:
        raise ValueError(f'{family} has {count} dense conv layers, but {len(width)} widths were given')
    return width


def vgg19(width, input_shape=(3, 32, 32), classes=10):
    pool_after = {1, 3, 7, 11}
    ws = _expand(width, 16, 'vgg19')
    layers = [{'name': f'conv{i + 1}', 'kernel': 3, 'stride': 1, 'width': w, 'pool': i in pool_after,
               'depthwise': None} for i, w in enumerate(ws)]
    return {'family': 'vgg19', 'inputShape': list(input_shape), 'classes': classes, 'layers': layers}


def mobilenetv1(width, input_shape=(3, 32, 32), classes=10):
    stride2 = {2, 4, 6, 12}
    ws = _expand(width, 14, 'mobilenetv1')
    layers = [{'name': 'stem', 'kernel': 3, 'stride': 1, 'width': ws[0], 'pool': False, 'depthwise': None}]
    for b in range(1, 14):
        layers.append({'name': f'block{b}', 'kernel': 1, 'stride': 1, 'width': ws[b], 'pool': False,
                       'depthwise': {'stride': 2 if b in stride2 else 1}})
    return {'family': 'mobilenetv1', 'inputShape': list(input_shape), 'classes': classes, 'layers': layers}


def seed_arch(family, width, input_shape=(3, 32, 32), classes=10):
    if family == 'vgg19':
        return vgg19(width, input_shape, classes)
    if family == 'mobilenetv1':
        return mobilenetv1(width, input_shape, classes)
    raise ValueError(f"family must be 'vgg19' or 'mobilenetv1', got {family!r}")


def parse_arch(arch):
    """Accepts a dict, a JSON string, a path to a JSON file, or a .safetensors file whose metadata
    holds "arch" (as torch_step.py inputs and torch_train.py --save outputs do)."""
    if isinstance(arch, dict):
        return arch
    if isinstance(arch, (bytes, str)) and str(arch).lstrip().startswith('{'):
        return json.loads(arch)
    if str(arch).endswith('.safetensors'):
        _, meta = read_safetensors(arch)
        if 'arch' not in meta:
            raise ValueError(f'{arch}: no "arch" in the safetensors metadata')
        return json.loads(meta['arch'])
    with open(arch) as f:
        return json.load(f)


def param_specs(arch):
    """[(name, shape, trainable)] in nasgrow's paramSpecs order."""
    specs = []
    cin = arch['inputShape'][0]
    for layer in arch['layers']:
        n = layer['name']
        if layer.get('depthwise'):
            specs.append((f'{n}.dw.weight', [cin, 1, 3, 3], True))
            specs += _bn_specs(f'{n}.dw_bn', cin)
        k = layer['kernel']
        specs.append((f'{n}.conv.weight', [layer['width'], cin, k, k], True))
        specs += _bn_specs(f'{n}.bn', layer['width'])
        cin = layer['width']
    specs.append(('fc.weight', [arch['classes'], cin], True))
    specs.append(('fc.bias', [arch['classes']], True))
    return specs


def _bn_specs(prefix, c):
    return [(f'{prefix}.weight', [c], True), (f'{prefix}.bias', [c], True),
            (f'{prefix}.running_mean', [c], False), (f'{prefix}.running_var', [c], False)]


def mac_count(arch):
    c, h, w = arch['inputShape']
    macs = 0
    for layer in arch['layers']:
        if layer.get('depthwise'):
            s = layer['depthwise']['stride']
            h, w = (h + 2 - 3) // s + 1, (w + 2 - 3) // s + 1
            macs += c * 9 * h * w
        k, s = layer['kernel'], layer['stride']
        p = (k - 1) // 2
        h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        macs += layer['width'] * c * k * k * h * w
        if layer['pool']:
            h, w = h // 2, w // 2
        c = layer['width']
    return macs + arch['classes'] * c


# --------------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------------
class BN(nn.BatchNorm2d):
    """BatchNorm2d(eps 1e-5, momentum 0.1) without the num_batches_tracked buffer (nasgrow has none;
    with a fixed momentum PyTorch never reads it)."""

    def __init__(self, c):
        super().__init__(c, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.num_batches_tracked = None  # a None buffer is left out of state_dict()

    def reset_running_stats(self):
        self.running_mean.zero_()
        self.running_var.fill_(1)


class DenseLayer(nn.Module):
    """[dw 3x3 -> BN -> ReLU] -> conv kxk -> BN -> ReLU -> [maxpool 2x2]. Submodule names give the
    parameter names <layer>.dw.weight, <layer>.dw_bn.*, <layer>.conv.weight, <layer>.bn.*."""

    def __init__(self, cin, spec):
        super().__init__()
        if spec.get('depthwise'):
            self.dw = nn.Conv2d(cin, cin, 3, stride=spec['depthwise']['stride'], padding=1, groups=cin, bias=False)
            self.dw_bn = BN(cin)
        else:
            self.dw = None
            self.dw_bn = None
        k = spec['kernel']
        self.conv = nn.Conv2d(cin, spec['width'], k, stride=spec['stride'], padding=(k - 1) // 2, bias=False)
        self.bn = BN(spec['width'])
        self.pool = bool(spec['pool'])

    def forward(self, x):
        if self.dw is not None:
            x = F.relu(self.dw_bn(self.dw(x)))
        x = F.relu(self.bn(self.conv(x)))
        if self.pool:
            x = F.max_pool2d(x, 2, 2)
        return x


class Net(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        self.layer_names = []
        cin = arch['inputShape'][0]
        for spec in arch['layers']:
            name = spec['name']
            if name == 'fc' or name in self._modules:
                raise ValueError(f'layer name {name!r} is reserved or used twice')
            # Registered straight into _modules so that any identifier works as a layer name, even
            # one that is also an nn.Module attribute (forward, training, ...).
            self._modules[name] = DenseLayer(cin, spec)
            self.layer_names.append(name)
            cin = spec['width']
        self.fc = nn.Linear(cin, arch['classes'])

    def forward(self, x):
        for name in self.layer_names:
            x = self._modules[name](x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def build_model(arch):
    arch = parse_arch(arch)
    model = Net(arch)
    got = list(model.state_dict().keys())
    want = [s[0] for s in param_specs(arch)]
    assert got == want, f'state_dict keys differ from paramSpecs:\n{got}\n{want}'
    return model


def trainable_params(model):
    """Trainable parameters in nasgrow's trainableSpecs order, as [(name, Parameter)]."""
    return list(model.named_parameters())


def make_sgd(model, lr, momentum=SGD_MOMENTUM, weight_decay=WEIGHT_DECAY):
    """SGD Nesterov on ALL trainable parameters (convs, BN gamma/beta, fc weight and bias)."""
    return torch.optim.SGD([p for _, p in trainable_params(model)], lr=lr, momentum=momentum,
                           nesterov=True, weight_decay=weight_decay)


def load_tensors(model, tensors, strict=True):
    """Copy tensors (name -> np.ndarray/torch.Tensor) into the model's parameters and running stats.
    Names not in the model (images, labels, momentum.*, ...) are ignored. With strict, every model
    tensor must be present. Returns the names that were loaded."""
    loaded = []
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if name not in tensors:
                if strict:
                    raise KeyError(f'tensor {name} is missing')
                continue
            src = torch.as_tensor(np.asarray(tensors[name])) if not isinstance(tensors[name], torch.Tensor) else tensors[name]
            if tuple(src.shape) != tuple(t.shape):
                raise ValueError(f'tensor {name}: shape {list(src.shape)} in the file, {list(t.shape)} in the model')
            t.copy_(src.to(t.dtype))
            loaded.append(name)
    return loaded


def model_tensors(model):
    """name -> float32 np.ndarray for every parameter and running statistic, in paramSpecs order."""
    return {k: v.detach().to(torch.float32).cpu().numpy() for k, v in model.state_dict().items()}


def init_like_nasgrow(model, seed=0):
    """Same distributions as nasgrow's initParams (not the same numbers: use --init for that).
    Convs: Kaiming normal fan_out, ReLU gain (depthwise: fan_out = 9); BN gamma 1, beta 0, stats 0/1;
    Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('.conv.weight') or name.endswith('.dw.weight'):
                o, _, kh, kw = p.shape
                fan_out = kh * kw if name.endswith('.dw.weight') else o * kh * kw
                p.copy_(torch.randn(p.shape, generator=g) * (2.0 / fan_out) ** 0.5)
            elif name.endswith('bn.weight'):
                p.fill_(1)
            elif name.endswith('bn.bias'):
                p.zero_()
            elif name.startswith('fc.'):
                bound = 1 / model.fc.in_features ** 0.5
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.zero_()
                m.running_var.fill_(1)


# --------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------
def ensure_glibc_tunables():
    """Re-exec this process with the allocator settings of docs/performance.md#allocator if GLIBC_TUNABLES lacks them (they
    are read by glibc at start-up, so setting them later has no effect)."""
    cur = os.environ.get('GLIBC_TUNABLES', '')
    if 'glibc.malloc.mmap_threshold=' in cur and 'glibc.malloc.trim_threshold=' in cur:
        return
    if os.environ.get('NASGROW_REF_REEXEC') == '1':
        return  # already tried once; do not loop
    env = dict(os.environ)
    env['GLIBC_TUNABLES'] = (cur + ':' + GLIBC_TUNABLES) if cur else GLIBC_TUNABLES
    env['NASGROW_REF_REEXEC'] = '1'
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def set_deterministic(threads=1):
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


# --------------------------------------------------------------------------------------------------
# Data: uint8 NCHW arrays + int64 labels
# --------------------------------------------------------------------------------------------------
def _read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        buf = f.read()
    zero, dtype, ndim = struct.unpack('>HBB', buf[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    dims = struct.unpack('>' + 'I' * ndim, buf[4:4 + 4 * ndim])
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(path='/usr/share/datasets/fashion-mnist/'):
    def f(stem):
        for ext in ('.gz', ''):
            p = os.path.join(path, stem + ext)
            if os.path.exists(p):
                return _read_idx(p)
        raise FileNotFoundError(f'{stem}[.gz] not found in {path}')
    tx, ty = f('train-images-idx3-ubyte'), f('train-labels-idx1-ubyte')
    vx, vy = f('t10k-images-idx3-ubyte'), f('t10k-labels-idx1-ubyte')
    return (tx[:, None].copy(), ty.astype(np.int64), vx[:, None].copy(), vy.astype(np.int64))


CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']


def load_cifar10_jpeg(path='/work/shared/data/cifar10-jpeg.tar.gz'):
    """The image-folder tarball (cifar10-jpeg/{train,test}/<class>/NNNN.jpg), an extracted copy of it
    (a directory), or a pre-decoded .npz (train_x/test_x uint8 [N,3,32,32] or [N,32,32,3],
    train_y/test_y). Order: class 0..9, then file number within the class."""
    if path.endswith('.npz'):
        return load_npz(path)
    from PIL import Image  # Debian's python3-pil (decodes JPEG with libjpeg)

    items = {'train': [], 'test': []}  # (class, filename, bytes)

    def add(rel, read):
        parts = rel.replace('\\', '/').split('/')
        if len(parts) < 3 or not parts[-1].lower().endswith(('.jpg', '.jpeg', '.png')):
            return
        split, cls = parts[-3], parts[-2]
        if split in items and cls in CIFAR10_CLASSES:
            items[split].append((CIFAR10_CLASSES.index(cls), parts[-1], read()))

    if os.path.isdir(path):
        for root, _, files in os.walk(path):
            for fn in files:
                p = os.path.join(root, fn)
                add(os.path.relpath(p, path), lambda p=p: open(p, 'rb').read())
    else:
        with tarfile.open(path, 'r:*') as tar:
            for m in tar:
                if m.isfile():
                    add(m.name, lambda m=m: tar.extractfile(m).read())

    def decode(lst):
        lst.sort(key=lambda t: (t[0], t[1]))
        x = np.empty((len(lst), 3, 32, 32), dtype=np.uint8)
        for i, (_, _, data) in enumerate(lst):
            img = Image.open(io.BytesIO(data)).convert('RGB')
            x[i] = np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)
        return x, np.array([t[0] for t in lst], dtype=np.int64)

    tx, ty = decode(items['train'])
    vx, vy = decode(items['test'])
    if len(tx) == 0 or len(vx) == 0:
        raise ValueError(f'{path}: no {{train,test}}/<class>/*.jpg images found')
    return tx, ty, vx, vy


def load_npz(path):
    d = np.load(path)
    out = []
    for split in ('train', 'test'):
        x = d[f'{split}_x']
        if x.ndim == 3:
            x = x[:, None]
        elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
            x = x.transpose(0, 3, 1, 2)
        out += [np.ascontiguousarray(x, dtype=np.uint8), d[f'{split}_y'].astype(np.int64)]
    return tuple(out)


def read_ngdset(path):
    """nasgrow's decode cache (src/data/decode-cache.ts): "NGDSET01" | u32 LE header length | JSON
    header {n, shape [C,H,W], labelBytes, ...} | zero pad to 8 | images n*C*H*W uint8 (NCHW) | zero pad
    to 8 | labels (u8, or u16 LE when labelBytes is 2). -> (images uint8 [n,C,H,W], labels int64, header)
    Reading it gives PyTorch exactly the pixels nasgrow trains on (no JPEG-decoder differences)."""
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[:8] != b'NGDSET01':
        raise ValueError(f'{path}: not a nasgrow decode cache (magic {buf[:8]!r})')
    (hl,) = struct.unpack('<I', buf[8:12])
    h = json.loads(buf[12:12 + hl].decode('utf-8'))
    n, (c, hh, ww) = h['n'], h['shape']
    lb = h.get('labelBytes', 1)
    images_at = (12 + hl + 7) // 8 * 8
    labels_at = (images_at + n * c * hh * ww + 7) // 8 * 8
    if len(buf) != labels_at + n * lb:
        raise ValueError(f'{path}: size {len(buf)} does not match its header (expected {labels_at + n * lb})')
    x = np.frombuffer(buf, np.uint8, n * c * hh * ww, images_at).reshape(n, c, hh, ww).copy()
    y = np.frombuffer(buf, np.uint8 if lb == 1 else np.dtype('<u2'), n, labels_at).astype(np.int64)
    return x, y, h


def save_npz(path, tx, ty, vx, vy):
    np.savez(path, train_x=tx, train_y=ty, test_x=vx, test_y=vy)


def channel_stats(x_uint8):
    """Per-channel mean and (population) std of uint8 NCHW images scaled to [0, 1]."""
    x = x_uint8.astype(np.float64) / 255.0
    mean = x.mean(axis=(0, 2, 3))
    std = x.std(axis=(0, 2, 3))
    return mean.astype(np.float32), std.astype(np.float32)


def normalize(x_uint8, mean, std):
    """uint8 NCHW torch tensor -> float32 (x/255 - mean) / std."""
    x = x_uint8.to(torch.float32).div_(255.0)
    return x.sub_(mean.view(1, -1, 1, 1)).div_(std.view(1, -1, 1, 1))


def augment(x, pad_value, generator, pad=4):
    """torchvision's RandomCrop(H, padding=pad) + RandomHorizontalFlip(0.5), per image, on a
    normalised float NCHW batch. pad_value [C] is what a zero (black) pixel becomes after
    normalisation, so the padding equals torchvision's (which pads raw pixels with 0 before
    ToTensor/Normalize)."""
    n, c, h, w = x.shape
    xp = pad_value.view(1, c, 1, 1).expand(n, c, h + 2 * pad, w + 2 * pad).clone()
    xp[:, :, pad:pad + h, pad:pad + w] = x
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    ar_h = torch.arange(h)
    ar_w = torch.arange(w)
    rows = oy[:, None] + ar_h[None, :]                                        # [n, h]
    cols = torch.where(flip[:, None], ox[:, None] + (w - 1 - ar_w)[None, :], ox[:, None] + ar_w[None, :])
    idx_n = torch.arange(n).view(n, 1, 1, 1)
    idx_c = torch.arange(c).view(1, c, 1, 1)
    return xp[idx_n, idx_c, rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]
