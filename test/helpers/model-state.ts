// Small model states for checkpoint tests (test/models/checkpoint*.test.ts).
import type { ExecutionContext } from 'ava';
import { mobilenetv1, vgg19 } from '../../src/models/arch';
import { freshModelState, ModelState } from '../../src/models/state';

/**
 * A small model (VGG-19 of width 2 on 1x16x16, or MobileNetV1 of width 2 on 3x16x16) with non-zero
 * momentum, so that a momentum buffer read back as zeros would show.
 */
export function smallState(seed = 1, family: 'vgg19' | 'mobilenetv1' = 'vgg19'): ModelState {
  const arch = family === 'vgg19' ? vgg19(2, [1, 16, 16], 3) : mobilenetv1(2, [3, 16, 16], 4);
  const state = freshModelState(arch, seed);
  let x = seed;
  for (const m of state.momentum.values()) {
    for (let i = 0; i < m.length; i++) m[i] = (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  }
  return state;
}

const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

/** Whether two states have the same architecture and byte-identical parameters and momenta. */
export function statesIdentical(a: ModelState, b: ModelState): boolean {
  if (JSON.stringify(a.arch) !== JSON.stringify(b.arch)) return false;
  for (const [x, y] of [
    [a.params, b.params],
    [a.momentum, b.momentum],
  ] as const) {
    if (JSON.stringify([...x.keys()]) !== JSON.stringify([...y.keys()])) return false;
    for (const [k, v] of x) if (!bytes(v).equals(bytes(y.get(k)!))) return false;
  }
  return true;
}

/** Assert that two states are identical (architecture, parameter and momentum bytes). */
export function sameState(t: ExecutionContext, a: ModelState, b: ModelState): void {
  t.deepEqual(a.arch, b.arch);
  t.true(statesIdentical(a, b), 'tensors differ');
}
