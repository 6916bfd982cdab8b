// Resource change of one morphism: the brief's per-channel count, the same for every channel of a
// layer, symmetric for split and prune, and consistent with the tensors' channel axes.
import test from 'ava';
import { ArchState, cloneArch, layerGeometry, mobilenetv1, vgg19 } from '../../src/models/arch';
import { macCount, numel, paramCount, paramSpecs } from '../../src/models/params';
import { resourceDelta, signedDelta } from '../../src/morphisms';
import { channelAxes } from '../../src/morphisms/channel-axes';
import { Rng } from '../../src/util/rng';
import { FAMILIES } from './helpers';

/** The brief's count for one channel of layer l, written out per family. */
function expectedParams(arch: ArchState, l: number): number {
  const layer = arch.layers[l]!;
  const next = arch.layers[l + 1];
  const inChannels = layerGeometry(arch)[l]!.inChannels;
  const incoming = inChannels * layer.kernel * layer.kernel;
  const bn = 2; // γ, β (running statistics are not parameters)
  const depthwise = next?.depthwise ? 9 + 2 : 0;
  const outgoing = next ? next.width * next.kernel * next.kernel : arch.classes;
  return incoming + bn + depthwise + outgoing;
}

function expectedMacs(arch: ArchState, l: number): number {
  const geo = layerGeometry(arch);
  const layer = arch.layers[l]!;
  const next = arch.layers[l + 1];
  const area = (hw: [number, number]) => hw[0] * hw[1];
  let macs = geo[l]!.inChannels * layer.kernel * layer.kernel * area(geo[l]!.outHW);
  if (next?.depthwise) macs += 9 * area(geo[l + 1]!.convInHW);
  macs += next ? next.width * next.kernel * next.kernel * area(geo[l + 1]!.outHW) : arch.classes;
  return macs;
}

const randomArchs = (): ArchState[] => {
  const rng = new Rng(21);
  return [vgg19(16), mobilenetv1(32), ...FAMILIES.flatMap((f) => [1, 2, 3].map(() => f.make(Array.from({ length: f.layers }, () => 1 + rng.int(12)))))];
};

test('resourceDelta = incoming kernel + BN γ,β (+ next depthwise kernel and its γ,β) + outgoing weights; MACs likewise; FLOPs = 2·MACs', (t) => {
  for (const arch of randomArchs()) {
    arch.layers.forEach((layer, l) => {
      const r = resourceDelta(arch, layer.name, 0);
      t.is(r.params, expectedParams(arch, l), `${arch.family} ${layer.name} params`);
      t.is(r.macs, expectedMacs(arch, l), `${arch.family} ${layer.name} MACs`);
      t.is(r.flops, 2 * r.macs);
    });
  }
});

test('resourceDelta is the same for every channel of a layer, and a prune frees exactly what a split costs', (t) => {
  for (const arch of randomArchs()) {
    arch.layers.forEach((layer, l) => {
      const r = resourceDelta(arch, layer.name, 0);
      for (let c = 1; c < layer.width; c++) t.deepEqual(resourceDelta(arch, layer.name, c), r);
      if (layer.width < 2) return;
      const narrower = cloneArch(arch);
      narrower.layers[l]!.width -= 1;
      const p = signedDelta(r, 'prune');
      t.is(paramCount(narrower) - paramCount(arch), p.params, `${arch.family} ${layer.name}`);
      t.is(macCount(narrower) - macCount(arch), p.macs);
    });
  }
});

test('resourceDelta agrees with the channel axes: Σ over trainable tensors of the entries one channel owns', (t) => {
  for (const arch of randomArchs()) {
    const axes = channelAxes(arch);
    const specs = paramSpecs(arch);
    for (const [name, list] of axes) {
      const spec = specs.find((s) => s.name === name);
      t.truthy(spec, `${name} is a tensor of the architecture`);
      for (const a of list) t.is(spec!.shape[a.axis], arch.layers[a.layer]!.width, `${name} axis ${a.axis}`);
    }
    arch.layers.forEach((layer, l) => {
      const owned = specs
        .filter((s) => s.trainable)
        .reduce((sum, s) => sum + (axes.get(s.name) ?? []).filter((a) => a.layer === l).reduce((x, a) => x + numel(s.shape) / s.shape[a.axis]!, 0), 0);
      t.is(owned, resourceDelta(arch, layer.name, 0).params, `${arch.family} ${layer.name}`);
    });
  }
});

test('resourceDelta refuses an unknown layer or a channel out of range', (t) => {
  const arch = vgg19(4);
  t.throws(() => resourceDelta(arch, 'conv0', 0), { message: /unknown layer/ });
  t.throws(() => resourceDelta(arch, 'conv1', 4), { message: /channels 0\.\.3/ });
});
