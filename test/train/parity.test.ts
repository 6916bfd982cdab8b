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
//
// The step runs as the engine runs it: lowered for the CPU (convs on ORT's blocked kernels,
// src/runtime/nchwc.ts). Summation order differs between engines, so now and then a pre-activation
// within float rounding of 0 lands on the other side of its ReLU from PyTorch's, and the gradients of
// that layer and the layers before it follow the other — equally right — branch of the kink. The test
// accepts such misses only under the rule stated at `kink rule` below, and everything else is strict.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { initParams, paramSpecs, numel } from '../../src/models/params';
import { buildTrainGraph } from '../../src/train/graphs';
import { gradName, momentumName, nextName } from '../../src/models/names';
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
  runReference('torch_step.py', [inFile, outFile, '--activations']);
  const ref = readSafetensors(outFile).tensors;

    // Every BatchNorm output (the pre-activations) as an extra output, beside PyTorch's act.<module>.
  const graph = buildTrainGraph(arch, batch, hyper, { exposeGradients: true });
  const preActivations = new Map<string, string>(); // graph value → torch module
  for (const v of graph.nodes.flatMap((n) => n.outputs)) {
    const m = /^(.+)\/(bn|dw_bn)\/normalize:0$/.exec(v);
    if (m) preActivations.set(v, `act.${m[1]}.${m[2]}`);
  }
  for (const v of preActivations.keys()) graph.outputs.push(graph.values.get(v)!);
  const feeds: Record<string, ort.Tensor> = {
    images: f32Tensor(images, [batch, C, H, W]),
    labels: i64Tensor(labels, [batch]),
    lr: f32Tensor(Float32Array.from([lr]), []),
  };
  for (const s of specs) {
    feeds[s.name] = f32Tensor(params.get(s.name)!, s.shape);
    if (s.trainable) feeds[momentumName(s.name)] = f32Tensor(momentum.get(s.name)!, s.shape);
  }
  // The step as the engine runs it (lowered for the CPU, src/runtime/nchwc.ts).
  const session = await createSession(graph, { device: 'cpu', threads: 2 });
  const out = await session.run(feeds);
  await session.release();
  const ours = (name: string) => out[name]!.data as Float32Array;
  const refOf = (name: string) => {
    const t = ref.get(name);
    if (!t) throw new Error(`reference output lacks ${name}`);
    return t.data as Float32Array;
  };

  // Every output against PyTorch element-wise; `missed` maps a tensor that misses the tolerance to its
  // layer's index (-1: loss and accuracy, arch.layers.length: fc), for the kink rule below.
  const layerIndex = (name: string) => {
    const i = arch.layers.findIndex((l) => name.startsWith(`${l.name}.`));
    return i >= 0 ? i : name.startsWith('fc.') ? arch.layers.length : -1;
  };
  const failures: string[] = [];
  const missed: { label: string; layer: number; forwardOnly: boolean }[] = [];
  let compared = 0;
  let worst = 0;
  const compare = (label: string, layer: number, forwardOnly: boolean, mine: Float32Array, theirs: Float32Array) => {
    compared++;
    if (mine.length !== theirs.length) return failures.push(`${label}: ${mine.length} values vs ${theirs.length}`);
    let bad = 0;
    let first = '';
    let w = 0;
    for (let i = 0; i < mine.length; i++) {
      const d = Math.abs(mine[i]! - theirs[i]!);
      const tol = ATOL + RTOL * Math.abs(theirs[i]!);
      w = Math.max(w, d / tol);
      if (!(d <= tol)) {
        if (!bad) first = `[${i}] ours ${mine[i]} PyTorch ${theirs[i]}`;
        bad++;
      }
    }
    if (bad) {
      failures.push(`${label}: ${bad}/${mine.length} outside tolerance, first ${first}`);
      missed.push({ label, layer, forwardOnly });
    } else worst = Math.max(worst, w);
    return bad;
  };
  compare('loss', -1, true, ours('loss'), refOf('loss'));
  compare('correct', -1, true, ours('correct'), refOf('correct'));
  for (const s of specs) {
    const layer = layerIndex(s.name);
    const forwardOnly = s.role === 'running_mean' || s.role === 'running_var';
    compare(`${s.name} (updated)`, layer, forwardOnly, ours(nextName(s.name)), refOf(s.name));
    if (s.trainable) {
      compare(`grad ${s.name}`, layer, false, ours(gradName(s.name)), refOf(`grad.${s.name}`));
      compare(`momentum ${s.name}`, layer, false, ours(nextName(momentumName(s.name))), refOf(momentumName(s.name)));
    }
  }

  // The kink rule. Summation order differs between engines (and between ORT's blocked and plain
  // kernels), so a pre-activation within float rounding of 0 can land on the other side of its ReLU;
  // the backward pass then takes the other (equally right) branch of the kink for that element, and
  // the gradients of its layer and the layers before it move by that element's contribution. Such
  // misses are accepted only when (a) some pre-activation is on different sides of 0 here and in
  // PyTorch, (b) each such one is within 1e-5 of its tensor's largest magnitude from 0, and (c) every
  // missed tensor is a gradient, momentum or updated weight of a layer at or before the deepest such
  // flip — the forward values (loss, accuracy, running statistics) and everything after stay strict.
  let flips = 0;
  let farthest = 0;
  let deepest = -1;
  for (const [value, module] of preActivations) {
    const a = ours(value);
    const b = refOf(module);
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
    for (let i = 0; i < a.length; i++) {
      if (a[i]! > 0 !== b[i]! > 0) {
        flips++;
        farthest = Math.max(farthest, Math.abs(b[i]!) / scale);
        deepest = Math.max(deepest, layerIndex(module.slice('act.'.length)));
      }
    }
  }
  const unexplained = missed.filter((m) => m.forwardOnly || m.layer < 0 || m.layer > deepest);
  const verdict =
    missed.length === 0
      ? failures
      : [
          ...(flips === 0 ? failures : []),
          ...(flips > 0 && farthest > 1e-5 ? [`a pre-activation ${farthest} of its tensor's largest from 0 is on the other side of 0 from PyTorch's: more than rounding`] : []),
          ...(flips > 0 ? unexplained.map((m) => failures.find((f) => f.startsWith(`${m.label}:`))!) : []),
        ];
  if (!process.env.NASGROW_KEEP_PARITY) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
  return { failures: verdict, compared, worst, flips, kinkMisses: missed.length };
}

/** One line for t.log: how close the step came, and what the kink rule accepted. */
function summary(r: Awaited<ReturnType<typeof parity>>): string {
  const kinks = r.kinkMisses ? `; ${r.kinkMisses} tensor(s) at or before a ReLU where ${r.flips} pre-activation(s) within rounding of 0 sit on the other side from PyTorch's` : '';
  return `${r.compared} tensors compared, worst |diff|/tol = ${r.worst.toFixed(3)} over the tensors within tolerance${kinks}`;
}

test('one training step of VGG-19 w=16 matches PyTorch', async (t) => {
  const r = await parity(vgg19(16), 64, 1);
  t.log(summary(r));
  t.deepEqual(r.failures, []);
  t.true(r.compared > 100);
});

test('one training step of MobileNetV1 w=32 matches PyTorch', async (t) => {
  const r = await parity(mobilenetv1(32), 64, 2);
  t.log(summary(r));
  t.deepEqual(r.failures, []);
  t.true(r.compared > 100);
});

test('one training step on 1x28x28 input with 7 classes matches PyTorch', async (t) => {
  const r = await parity(vgg19(16, [1, 28, 28], 7), 64, 3);
  t.log(summary(r));
  t.deepEqual(r.failures, []);
});

// Grown networks: widths that are not multiples of the NCHWc block (8 or 16), so the lowering pads
// filters (and keeps convs on channel counts that are not multiples of 4 plain).
test('one training step of a grown VGG-19 (widths 15..30) matches PyTorch', async (t) => {
  const r = await parity(vgg19([15, 29, 23, 28, 28, 28, 25, 27, 19, 26, 22, 30, 21, 25, 22, 16]), 32, 4);
  t.log(summary(r));
  t.deepEqual(r.failures, []);
});

test('one training step of a grown MobileNetV1 (widths 20..60) matches PyTorch', async (t) => {
  const r = await parity(mobilenetv1([30, 36, 44, 37, 33, 52, 48, 40, 45, 33, 60, 57, 41, 20]), 32, 5);
  t.log(summary(r));
  t.deepEqual(r.failures, []);
});
