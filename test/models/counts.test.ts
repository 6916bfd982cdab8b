// Architecture states, parameter and MAC counts, and the uniform controls matched on them: checked against PyTorch's own parameter count of the
// reference model (test/reference/nasgrow_ref.py) and the MMAC/img of docs/performance.md#pytorch-reference.
import test from 'ava';
import { spawnSync } from 'child_process';
import { ArchState, mobilenetv1, validateArch, vgg19, layerGeometry } from '../../src/models/arch';
import { macCount, paramCount, uniformMatch } from '../../src/models/params';
import { PYTHON } from '../helpers/onnx-checker';
import { REFERENCE_DIR } from '../helpers/torch';

const cases: [string, ArchState][] = [
  ['vgg19 w=16', vgg19(16)],
  ['vgg19 w=64', vgg19(64)],
  ['mobilenetv1 w=32', mobilenetv1(32)],
  ['vgg19 w=16 1x28x28 7 classes', vgg19(16, [1, 28, 28], 7)],
  ['mobilenetv1 non-uniform 1x28x28', mobilenetv1([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], [1, 28, 28], 100)],
];

test('parameter counts equal PyTorch\'s for the same architecture', (t) => {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(REFERENCE_DIR)})
import nasgrow_ref as ref
for line in sys.stdin:
    m = ref.build_model(json.loads(line))
    print(sum(p.numel() for p in m.parameters()))
`;
  const r = spawnSync(PYTHON, ['-c', script], { input: cases.map(([, a]) => JSON.stringify(a)).join('\n') + '\n', encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const torchCounts = r.stdout.trim().split('\n').map(Number);
  cases.forEach(([name, a], i) => t.is(paramCount(a), torchCounts[i], name));
});

test('MACs per image match docs/performance.md (VGG-19 w=16 4.76, w=64 70.8, MobileNetV1 w=32 3.20 MMAC)', (t) => {
  t.is(Math.round(macCount(vgg19(16)) / 1e4) / 100, 4.76);
  t.is(Math.round(macCount(vgg19(64)) / 1e5) / 10, 70.8);
  t.is(Math.round(macCount(mobilenetv1(32)) / 1e4) / 100, 3.2); // 3.205
});

test('geometry: VGG-19 pools 32→16→8→4→2 and 28→14→7→3→1; MobileNetV1 strides 32→16→8→4→2', (t) => {
  t.deepEqual(layerGeometry(vgg19(4)).map((g) => g.poolHW[0]), [32, 16, 16, 8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2]);
  t.deepEqual(layerGeometry(vgg19(4, [1, 28, 28])).map((g) => g.poolHW[0]), [28, 14, 14, 7, 7, 7, 7, 3, 3, 3, 3, 1, 1, 1, 1, 1]);
  t.deepEqual(layerGeometry(mobilenetv1(4)).map((g) => g.outHW[0]), [32, 32, 16, 16, 8, 8, 4, 4, 4, 4, 4, 4, 2, 2]);
});

test('invalid architecture states are refused with the field named', (t) => {
  const a = vgg19(4);
  t.throws(() => validateArch({ ...a, classes: 1 }), { message: /classes/ });
  t.throws(() => validateArch({ ...a, layers: a.layers.map((l, i) => (i === 3 ? { ...l, width: 0 } : l)) }), { message: /conv4\) width/ });
  t.throws(() => validateArch({ ...a, inputShape: [3, 4, 4] }), { message: /too small/ });
  // the graphs' own prefixes (src/models/names.ts CLASSIFIER, SECTION): a layer so named would share them
  for (const name of ['fc', 'loss', 'head', 'adam', 'objective']) {
    t.throws(() => validateArch({ ...a, layers: a.layers.map((l, i) => (i === 3 ? { ...l, name } : l)) }), { message: new RegExp(`'${name}' is reserved`) });
  }
  t.throws(() => vgg19([1, 2, 3]), { message: /16 dense conv layers/ });
});

test('uniformMatch: the narrowest uniform seed with at least the grown parameter count', (t) => {
  const grown = vgg19([9, 9, 7, 11, 11, 13, 18, 13, 17, 18, 16, 13, 12, 9, 7, 9], [1, 28, 28]);
  const u = uniformMatch(grown);
  const w = u.layers[0]!.width;
  t.true(u.layers.every((l) => l.width === w));
  t.true(paramCount(u) >= paramCount(grown));
  t.true(paramCount(vgg19(w - 1, [1, 28, 28])) < paramCount(grown));
});

test("uniformMatch by MACs: the narrowest uniform seed with at least the grown network's multiply-accumulates, not its parameters", (t) => {
  // a MobileNetV1 grown wide at the end and narrow at the start (where the feature maps are large) has
  // many parameters for its compute: its MAC-matched control is narrower than its parameter-matched one
  const grown = mobilenetv1([10, 12, 14, 16, 20, 24, 40, 48, 56, 64, 72, 80, 96, 128], [3, 32, 32], 10);
  const byMacs = uniformMatch(grown, 'macs');
  const w = byMacs.layers[0]!.width;
  t.true(byMacs.layers.every((l) => l.width === w));
  t.true(macCount(byMacs) >= macCount(grown));
  t.true(macCount(mobilenetv1(w, [3, 32, 32], 10)) >= macCount(grown));
  t.true(macCount(mobilenetv1(w - 1, [3, 32, 32], 10)) < macCount(grown));
  const byParams = uniformMatch(grown, 'params');
  t.true(byParams.layers[0]!.width > w, `parameter-matched width ${byParams.layers[0]!.width}, MAC-matched ${w}`);
  t.deepEqual(uniformMatch(grown), byParams, 'parameters are the default');
  // a uniform network is its own control either way
  const uniform = mobilenetv1(23, [3, 32, 32], 10);
  t.deepEqual(uniformMatch(uniform, 'macs'), uniform);
  t.deepEqual(uniformMatch(uniform, 'params'), uniform);
});
