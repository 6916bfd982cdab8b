// Parity: one training step of the paper's seeds against PyTorch (Debian python3-torch) from identical
// weights, momentum buffers, running statistics and batch: loss, every gradient, updated weights,
// momentum buffers and BN running statistics within 1e-4 relative (1e-5 absolute).
//
// The reference is PyTorch in float32, at the paper's batch of 64. Measured on this machine: against a
// float64 PyTorch run, PyTorch's own float32 step misses this tolerance on MobileNetV1 (worst element
// 40x the tolerance, in the stem's weight gradient), and so does ours by the same amount: in float64 a
// few pre-activations within ~1e-7 of 0 land on the other side of the ReLU kink, so float32 engines
// agree with each other and not with float64. Against float32 PyTorch we are within 0.12 (VGG-19),
// 0.95 (MobileNetV1) and 0.70 (28x28) of the tolerance.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { initParams, paramSpecs, numel } from '../../src/models/params';
import { buildTrainGraph } from '../../src/train/graphs';
import { gradName, momentumName, nextName } from '../../src/models/names';
import { modelBytes } from '../../src/onnx/writer';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { readSafetensors, SafeTensor, writeSafetensors } from '../../src/util/safetensors';
import { Rng } from '../../src/util/rng';
import { runReference } from '../helpers/torch';

const RTOL = 1e-4;
const ATOL = 1e-5;

async function parity(arch: ArchState, batch: number, seed: number) {
  const rng = new Rng(seed);
  const specs = paramSpecs(arch);
  const params = initParams(arch, seed);
  // Non-trivial BN statistics and momentum buffers, so the step is not a first step from defaults.
  for (const s of specs) {
    if (s.role === 'running_mean') params.set(s.name, Float32Array.from(params.get(s.name)!, () => rng.normal() * 0.1));
    if (s.role === 'running_var') params.set(s.name, Float32Array.from(params.get(s.name)!, () => 0.5 + rng.uniform()));
    if (s.role === 'bn_weight') params.set(s.name, Float32Array.from(params.get(s.name)!, () => 0.5 + rng.uniform()));
    if (s.role === 'bn_bias') params.set(s.name, Float32Array.from(params.get(s.name)!, () => rng.normal() * 0.1));
  }
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: batch * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: batch }, () => BigInt(rng.int(arch.classes)));
  const lr = 0.05;
  const hyper = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };

  const tensors = new Map<string, SafeTensor>();
  tensors.set('images', { dtype: 'F32', shape: [batch, C, H, W], data: images });
  tensors.set('labels', { dtype: 'I64', shape: [batch], data: labels });
  const momentum = new Map<string, Float32Array>();
  for (const s of specs) {
    tensors.set(s.name, { dtype: 'F32', shape: s.shape, data: params.get(s.name)! });
    if (s.trainable) {
      const m = Float32Array.from({ length: numel(s.shape) }, () => rng.normal() * 0.01);
      momentum.set(s.name, m);
      tensors.set(momentumName(s.name), { dtype: 'F32', shape: s.shape, data: m });
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-parity-'));
  const inFile = path.join(dir, 'in.safetensors');
  const outFile = path.join(dir, 'out.safetensors');
  writeSafetensors(inFile, tensors, { arch: JSON.stringify(arch), lr: `${lr}`, momentum: '0.9', weight_decay: '0.0001' });
  runReference('torch_step.py', [inFile, outFile]);
  const ref = readSafetensors(outFile).tensors;

  const session = await createSession(modelBytes(buildTrainGraph(arch, batch, hyper, { exposeGradients: true })), { device: 'cpu', threads: 2, optimization: (process.env.NASGROW_OPT as 'all') ?? 'all' });
  const feeds: Record<string, ort.Tensor> = {
    images: f32Tensor(images, [batch, C, H, W]),
    labels: i64Tensor(labels, [batch]),
    lr: f32Tensor(Float32Array.from([lr]), []),
  };
  for (const s of specs) {
    feeds[s.name] = f32Tensor(params.get(s.name)!, s.shape);
    if (s.trainable) feeds[momentumName(s.name)] = f32Tensor(momentum.get(s.name)!, s.shape);
  }
  const out = await session.run(feeds);

  const failures: string[] = [];
  let compared = 0;
  let worst = 0;
  const compare = (label: string, ours: Float32Array, theirs: Float32Array) => {
    compared++;
    if (ours.length !== theirs.length) {
      failures.push(`${label}: ${ours.length} values vs ${theirs.length}`);
      return;
    }
    let bad = 0;
    let first = '';
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i]! - theirs[i]!);
      const tol = ATOL + RTOL * Math.abs(theirs[i]!);
      worst = Math.max(worst, d / tol);
      if (!(d <= tol)) {
        if (!bad) first = `[${i}] ours ${ours[i]} torch ${theirs[i]}`;
        bad++;
      }
    }
    if (bad) failures.push(`${label}: ${bad}/${ours.length} outside tolerance, first ${first}`);
  };
  const refOf = (name: string) => {
    const t = ref.get(name);
    if (!t) throw new Error(`reference output lacks ${name}`);
    return t.data as Float32Array;
  };
  compare('loss', out.loss!.data as Float32Array, refOf('loss'));
  compare('correct', out.correct!.data as Float32Array, refOf('correct'));
  for (const s of specs) {
    compare(`${s.name} (updated)`, out[nextName(s.name)]!.data as Float32Array, refOf(s.name));
    if (s.trainable) {
      compare(`grad ${s.name}`, out[gradName(s.name)]!.data as Float32Array, refOf(`grad.${s.name}`));
      compare(`momentum ${s.name}`, out[nextName(momentumName(s.name))]!.data as Float32Array, refOf(momentumName(s.name)));
    }
  }
  await session.release();
  if (!process.env.NASGROW_KEEP_PARITY) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
  return { failures, compared, worst };
}

test('one training step of VGG-19 w=16 matches PyTorch', async (t) => {
  const r = await parity(vgg19(16), 64, 1);
  t.log(`${r.compared} tensors compared, worst |diff|/tol = ${r.worst.toFixed(3)}`);
  t.deepEqual(r.failures, []);
  t.true(r.compared > 100);
});

test('one training step of MobileNetV1 w=32 matches PyTorch', async (t) => {
  const r = await parity(mobilenetv1(32), 64, 2);
  t.log(`${r.compared} tensors compared, worst |diff|/tol = ${r.worst.toFixed(3)}`);
  t.deepEqual(r.failures, []);
  t.true(r.compared > 100);
});

test('one training step on 1x28x28 input with 7 classes matches PyTorch', async (t) => {
  const r = await parity(vgg19(16, [1, 28, 28], 7), 64, 3);
  t.log(`${r.compared} tensors compared, worst |diff|/tol = ${r.worst.toFixed(3)}`);
  t.deepEqual(r.failures, []);
});
