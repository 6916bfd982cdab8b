// The splitting graph (src/grow/splitting.ts) and the power iteration (src/grow/steepest.ts) of
// grow.method steepest against the splitting matrices formed explicitly on the host:
//   S_c = Σ_{n,h,w} g_y · σ''_β(a) · u uᵀ,   u = s_c · (the im2col patch of x at (n, h, w)),
// from the graph's own debug outputs x_l, a_l, g_y; (a) the graph's row c of ∇_V Q is S_c·v_c;
// (b) power iteration finds the eigenvector of S_c's smallest eigenvalue that a Jacobi
// eigen-decomposition of the explicit S_c finds.
import test from 'ava';
import { symmetricEigen } from '../../src/util/symmetric-eigen';
import { mobilenetv1, vgg19, ArchState } from '../../src/models/arch';
import { freshModelState, ModelState } from '../../src/models/state';
import { param, splitSvName } from '../../src/models/names';
import { BN_EPS } from '../../src/models/forward';
import { SOFTPLUS_BETA, splittingDebugName } from '../../src/grow/splitting';
import { splittingMinEigen, SplittingEngine, splittingStart } from '../../src/grow/steepest';
import { Rng } from '../../src/util/rng';
import { brieflyTrained } from '../helpers/briefly-trained';

const BATCH = 4;

/** A tiny VGG-19 (width 4, 1×16×16: the smallest input its four max-pools allow) with BN parameters and
 *  running statistics moved off their initial 1/0, so that s = γ/√(σ²+ε) and the shift matter. */
function tinyModel(): ModelState {
  const arch = vgg19(4, [1, 16, 16], 3);
  const state = freshModelState(arch, 3);
  const rng = Rng.derive(7, 'splitting-test');
  for (const layer of arch.layers) {
    const set = (t: 'weight' | 'bias' | 'running_mean' | 'running_var', f: () => number) => state.params.set(param.bn(layer.name, 'bn', t), Float32Array.from(state.params.get(param.bn(layer.name, 'bn', t))!, f));
    set('weight', () => 0.5 + rng.uniform());
    set('bias', () => 0.1 + 0.05 * rng.normal()); // positive-leaning: no layer of width 4 goes all dead
    set('running_mean', () => 0.02 * rng.normal());
    set('running_var', () => 0.5 + rng.uniform());
  }
  return state;
}

function batchOf(arch: ArchState, seed: number) {
  const rng = Rng.derive(seed, 'splitting-test-batch');
  const [C, H, W] = arch.inputShape;
  return {
    images: Float32Array.from({ length: BATCH * C * H * W }, () => rng.normal()),
    labels: BigInt64Array.from({ length: BATCH }, () => BigInt(rng.int(arch.classes))),
  };
}

/** Explicit S_c [fanIn × fanIn] of every channel of dense layer `l` (stride 1, 'same' padding) from x, a, g_y. */
function explicitS(state: ModelState, l: number, x: Float32Array, a: Float32Array, gy: Float32Array): Float64Array[] {
  const arch = state.arch;
  const layer = arch.layers[l]!;
  const cin = l === 0 ? arch.inputShape[0] : arch.layers[l - 1]!.width;
  const k = layer.kernel;
  const pad = (k - 1) / 2;
  const cout = layer.width;
  const n = BATCH;
  const hw = Math.round(Math.sqrt(x.length / (n * cin)));
  const fan = cin * k * k;
  const gamma = state.params.get(param.bn(layer.name, 'bn', 'weight'))!;
  const rv = state.params.get(param.bn(layer.name, 'bn', 'running_var'))!;
  const S = Array.from({ length: cout }, () => new Float64Array(fan * fan));
  const patch = new Float64Array(fan);
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < hw; h++) {
      for (let w = 0; w < hw; w++) {
        // im2col: patch[ci, kh, kw] = x[b, ci, h + kh − pad, w + kw − pad] (0 outside)
        for (let ci = 0; ci < cin; ci++) {
          for (let kh = 0; kh < k; kh++) {
            for (let kw = 0; kw < k; kw++) {
              const hh = h + kh - pad;
              const ww = w + kw - pad;
              patch[(ci * k + kh) * k + kw] = hh >= 0 && hh < hw && ww >= 0 && ww < hw ? x[((b * cin + ci) * hw + hh) * hw + ww]! : 0;
            }
          }
        }
        for (let c = 0; c < cout; c++) {
          const i = ((b * cout + c) * hw + h) * hw + w;
          const sig = 1 / (1 + Math.exp(-SOFTPLUS_BETA * a[i]!));
          const coef = gy[i]! * SOFTPLUS_BETA * sig * (1 - sig);
          if (coef === 0) continue;
          const s = gamma[c]! / Math.sqrt(rv[c]! + BN_EPS);
          const m = coef * s * s;
          const Sc = S[c]!;
          for (let p = 0; p < fan; p++) {
            const mp = m * patch[p]!;
            if (mp === 0) continue;
            for (let q = 0; q < fan; q++) Sc[p * fan + q] += mp * patch[q]!;
          }
        }
      }
    }
  }
  return S;
}

const matVec = (S: Float64Array, v: ArrayLike<number>, off: number, fan: number) => Float64Array.from({ length: fan }, (_, p) => {
  let s = 0;
  for (let q = 0; q < fan; q++) s += S[p * fan + q]! * v[off + q]!;
  return s;
});


/** The graph's debug outputs and S_c·v_c for directions from the power iteration's start. */
async function graphRun(family: 'vgg19' | 'mobilenetv1' = 'vgg19') {
  let state: ModelState;
  let bt: { images: Float32Array; labels: BigInt64Array };
  if (family === 'vgg19') {
    state = tinyModel();
    bt = batchOf(state.arch, 1);
  } else {
    // an untrained MobileNet with running statistics of 1/0 loses its signal block by block (every g_y
    // of the early blocks 0); a briefly trained one has running statistics that fit its activations.
    // Its depthwise BN sits between y_l and x_{l+1}, so g_y goes through running-statistics BN there.
    const trained = await brieflyTrained(mobilenetv1(4, [1, 28, 28], 10), 32);
    state = trained.state;
    const first = trained.loader.batches('train', 1).next().value!;
    const [C, H, W] = state.arch.inputShape;
    bt = { images: first.images.slice(0, BATCH * C * H * W), labels: first.labels.slice(0, BATCH) };
  }
  const arch = state.arch;
  const engine = await SplittingEngine.create(arch, BATCH, { device: 'cpu', threads: 1 }, true);
  const v = splittingStart(arch, 5, 0);
  const out = await engine.run(state, v, bt.images, bt.labels);
  await engine.release();
  const get = (n: string) => out[n]!.data as Float32Array;
  return { state, arch, v, get, bt };
}

for (const family of ['vgg19', 'mobilenetv1'] as const) test(`${family}: the splitting graph's row c of ∇_V Q is S_c·v_c of the explicit splitting matrix`, async (t) => {
  const { state, arch, v, get } = await graphRun(family);
  let checked = 0;
  for (const [l, layer] of arch.layers.entries()) {
    const S = explicitS(state, l, get(splittingDebugName(layer.name, 'x')), get(splittingDebugName(layer.name, 'a')), get(splittingDebugName(layer.name, 'g_y')));
    const sv = get(splitSvName(layer.name));
    const fan = sv.length / layer.width;
    const vl = v.get(layer.name)!;
    let err = 0;
    let ref = 0;
    for (let c = 0; c < layer.width; c++) {
      const want = matVec(S[c]!, vl, c * fan, fan);
      for (let p = 0; p < fan; p++) {
        err += (sv[c * fan + p]! - want[p]!) ** 2;
        ref += want[p]! ** 2;
      }
    }
    t.true(ref > 0, `${layer.name}: S·v is 0, the comparison would be empty`);
    const rel = Math.sqrt(err / ref);
    t.log(`${layer.name}: ‖graph − explicit‖/‖explicit‖ = ${rel.toExponential(2)}`);
    t.true(rel < 1e-4, `${layer.name}: relative error ${rel}`);
    checked++;
  }
  t.is(checked, arch.layers.length);
  if (family !== 'vgg19') return;
  // g_y at the positions max-pool drops is 0 (conv2 is pooled): the gradient is taken before the pool
  const gy = get(splittingDebugName('conv2', 'g_y'));
  t.true(gy.filter((x) => x === 0).length >= (3 * gy.length) / 4, 'conv2 g_y is not zero at the dropped pre-pool positions');
});

test('power iteration finds v_min and λ_min of the explicit S_c (Jacobi)', async (t) => {
  const { state, arch, get } = await graphRun();
  // conv2: fan-in 36, conv1: fan-in 9
  for (const name of ['conv1', 'conv2', 'conv5']) {
    const l = arch.layers.findIndex((x) => x.name === name);
    const layer = arch.layers[l]!;
    const S = explicitS(state, l, get(splittingDebugName(name, 'x')), get(splittingDebugName(name, 'a')), get(splittingDebugName(name, 'g_y')));
    const fan = Math.round(Math.sqrt(S[0]!.length));
    const product = async (v: Map<string, Float32Array>) => {
      const x = v.get(name)!;
      const out = new Float32Array(x.length);
      for (let c = 0; c < layer.width; c++) out.set(matVec(S[c]!, x, c * fan, fan), c * fan);
      return new Map([[name, out]]);
    };
    const start = new Map([[name, splittingStart(arch, 11, 0).get(name)!]]);
    const eig = (await splittingMinEigen([{ layer: name, rows: layer.width }], product, start)).get(name)!;
    for (let c = 0; c < layer.width; c++) {
      const { values, vectors } = symmetricEigen(S[c]!, fan);
      let i = 0;
      for (let j = 1; j < fan; j++) if (values[j]! < values[i]!) i = j;
      const scale = Math.max(...Array.from(values, Math.abs));
      let cos = 0;
      for (let p = 0; p < fan; p++) cos += vectors[p * fan + i]! * eig.vMin[c * fan + p]!;
      const sorted = Array.from(values).sort((x, y) => x - y);
      t.log(`${name}/${c}: λ_min ${values[i]!.toExponential(3)} (power ${eig.lambdaMin[c]!.toExponential(3)}), next ${sorted[1]!.toExponential(3)}, |λ|max ${scale.toExponential(3)}, |cos| ${Math.abs(cos).toFixed(6)}`);
      t.true(Math.abs(cos) > 0.999, `${name}/${c}: |cos| ${Math.abs(cos)}`);
      t.true(Math.abs(eig.lambdaMin[c]! - values[i]!) <= 1e-4 * scale, `${name}/${c}: λ_min ${eig.lambdaMin[c]} vs ${values[i]}`);
    }
  }
});
