// The CPU lowering of nasgrow's graphs: convolutions rewritten to ONNX Runtime's blocked (NCHWc)
// kernels, the ops of domain com.microsoft.nchwc. ORT's own NCHWc transformer only converts a Conv
// whose weight is a constant initializer, and a training graph takes its weights as inputs, so without
// this pass every conv runs ORT's generic im2col + SGEMM path. The kernels themselves read the filter
// on every run: given the filter in the blocked layout, built here in-graph from the weight input, they
// run with weights that change every step (docs/performance.md#blocked-nchwc-convs).
//
// Blocked layouts, with block size B (16 with AVX-512, 8 with AVX2; probed at start-up):
//   activations  [N, C, H, W] → [N, ⌈C/B⌉, H, W, B] (ReorderInput; padded channels are zero)
//   dense filter [O, I, kh, kw] → [O/B, I/B, kh, kw, Bi, Bo] ("OIHWBiBo"): reshape [O/B, B, I/B, B, kh,
//                kw], transpose [0, 2, 4, 5, 3, 1]; with I < B the input stays NCHW and the filter is
//                [O/B, I, kh, kw, Bo] ("OIHWBo"): reshape [O/B, B, I, kh, kw], transpose [0, 2, 3, 4, 1]
//   depthwise    [C, 1, kh, kw] → [C/B, 1, kh, kw, B] (OIHWBo with I = 1)
// Channel counts that are not multiples of B are zero-padded (filter rows and columns of zeros, which
// leave every real output channel as it was; ReorderOutput drops the padded output channels), and an
// activation whose channel count is not a multiple of 4 is zero-padded to one before ReorderInput,
// which reads channels in fours — grown networks have such widths everywhere.
//
// A depthwise ConvTranspose (a strided depthwise conv's input gradient) becomes a stride-1 blocked
// depthwise conv of dY spread onto the stride grid (lowerStridedDepthwiseTranspose below;
// NASGROW_NCHWC_CONVT=0 keeps it, for A/B runs).
//
// Saved graphs stay standard ONNX: only the in-memory graph a CPU session is created from is lowered.
import { AttrValue, DType, Graph, Node, TensorData, ValueInfo } from '../onnx/ir';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

const roundUp = (x: number, b: number) => Math.ceil(x / b) * b;

/** What the lowering did, for the graph's doc string and for tests. */
export interface LoweringReport {
  block: number;
  /** convs rewritten to NCHWc kernels, by kind */
  lowered: { dense: number; depthwise: number };
  /** convs kept in their plain form, with why */
  kept: { name: string; why: string }[];
}

/**
 * A copy of `g` whose convolutions run on ORT's blocked kernels with block size `block` (8 or 16):
 * forward and input-gradient convs alike (anything with a float 4-D input of static shape, group 1 or
 * depthwise); one ReorderInput per activation, shared by every conv that reads it, and one
 * ReorderOutput per conv output. `g` itself is not changed.
 * @returns the lowered graph and a report of what was rewritten and what was kept, and why.
 */
export function lowerToNchwc(g: Graph, block: number): { graph: Graph; report: LoweringReport } {
  const out = new Graph(g.name);
  out.doc = g.doc;
  out.inputs.push(...g.inputs);
  out.outputs.push(...g.outputs);
  for (const [k, v] of g.initializers) out.initializers.set(k, v);
  for (const [k, v] of g.values) out.values.set(k, v);
  for (const [k, v] of g.constants) out.constants.set(k, v);
  for (const [k, v] of g.metadata) out.metadata.set(k, v);
  const report: LoweringReport = { block, lowered: { dense: 0, depthwise: 0 }, kept: [] };

  const taken = new Set<string>([...g.values.keys(), ...g.nodes.map((n) => n.name)]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const value = (base: string, dtype: DType, shape: number[]): string => {
    const name = fresh(base);
    out.values.set(name, { name, dtype, shape } as ValueInfo);
    return name;
  };
  const ints = (base: string, values: number[]): string => {
    const name = fresh(base);
    const t: TensorData = { dtype: DType.INT64, shape: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
    out.initializers.set(name, t);
    out.constants.set(name, t);
    out.values.set(name, { name, dtype: DType.INT64, shape: [values.length] });
    return name;
  };
  const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string) => {
    const n: Node = { name: fresh(name), opType, inputs, outputs, attrs: new Map(Object.entries(attrs)) };
    if (domain) n.domain = domain;
    out.nodes.push(n);
  };
  const shapeOf = (v: string) => g.values.get(v)?.shape;

  // ReorderInput of an activation, shared by every lowered conv that reads it
  const blocked = new Map<string, string>();
  const reorderInput = (x: string, shape: number[], at: string): string => {
    const hit = blocked.get(x);
    if (hit) return hit;
    const [N, C, H, W] = shape as [number, number, number, number];
    let src = x;
    if (C % 4 !== 0) {
      // ReorderInput reads channels in groups of 4: zero-pad to the next multiple of 4 first (one
      // extra pass over the activation; the blocked conv that follows still wins, bench/nchwc-convs.ts)
      src = value(`${x}_padded`, DType.FLOAT, [N, roundUp(C, 4), H, W]);
      node(`${at}/pad_channels`, 'Pad', [x, ints(`${at}/channel_pads`, [0, 0, 0, 0, 0, roundUp(C, 4) - C, 0, 0])], [src], { mode: { kind: 'string', value: 'constant' } });
    }
    const y = value(`${x}_nchwc`, DType.FLOAT, [N, roundUp(C, block), H, W]);
    node(`${at}/ReorderInput`, 'ReorderInput', [src], [y], {}, NCHWC_DOMAIN);
    blocked.set(x, y);
    return y;
  };

  // A filter zero-padded from shape `from` to `to` (whole rows and columns of zeros), under `at`.
  const padFilter = (w: string, from: number[], to: number[], at: string): string => {
    if (from.every((d, i) => d === to[i])) return w;
    const pads = [0, 0, 0, 0, ...to.map((d, i) => d - from[i]!)];
    const y = value(`${w}_padded`, DType.FLOAT, to);
    node(`${at}/pad_filter`, 'Pad', [w, ints(`${at}/filter_pads`, pads)], [y], { mode: { kind: 'string', value: 'constant' } });
    return y;
  };
  // A filter in a blocked layout: reshaped to `split`, transposed by `perm`, merged to `shape`.
  const reorderFilter = (w: string, split: number[], perm: number[], shape: number[], at: string): string => {
    const a = value(`${w}_split`, DType.FLOAT, split);
    node(`${at}/filter_split`, 'Reshape', [w, ints(`${at}/filter_split_shape`, split)], [a]);
    const b = value(`${w}_blocked`, DType.FLOAT, perm.map((p) => split[p]!));
    node(`${at}/filter_block`, 'Transpose', [a], [b], { perm: { kind: 'ints', value: perm } });
    const c = value(`${w}_nchwc`, DType.FLOAT, shape);
    node(`${at}/filter_merge`, 'Reshape', [b, ints(`${at}/filter_shape`, shape)], [c]);
    return c;
  };
  // A depthwise filter [C, 1, kh, kw] → padded to [Cp, 1, kh, kw] → [Cp/B, B, 1, kh, kw] → [Cp/B, 1, kh, kw, B]
  const depthwiseFilter = (w: string, shape: number[], at: string): string => {
    const [C, , kh, kw] = shape as [number, number, number, number];
    const Cp = roundUp(C, block);
    return reorderFilter(padFilter(w, [C, 1, kh, kw], [Cp, 1, kh, kw], at), [Cp / block, block, 1, kh, kw], [0, 2, 3, 4, 1], [Cp, 1, kh, kw], at);
  };

  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);

  for (const n of g.nodes) {
    if (n.opType === 'ConvTranspose' && !n.domain && process.env.NASGROW_NCHWC_CONVT !== '0' && lowerStridedDepthwiseTranspose(n)) continue;
    const why = n.opType === 'Conv' && !n.domain ? unsuited(n, g, block) : 'not a conv';
    if (why !== null) {
      if (n.opType === 'Conv') report.kept.push({ name: n.name, why });
      out.nodes.push(n);
      continue;
    }
    const batched = batchedDepthwise(n, g, producer);
    if (batched) {
      lowerBatchedDepthwise(n, batched);
      continue;
    }
    const [X, Wt] = n.inputs as [string, string];
    const xs = shapeOf(X) as number[];
    const ws = shapeOf(Wt) as number[];
    const [O, Cg, kh, kw] = ws as [number, number, number, number];
    const C = xs[1]!;
    const group = intAttr(n, 'group', 1);
    const depthwise = group > 1;
    const at = `${n.name}/nchwc`;
    const Op = roundUp(O, block);
    const ys = shapeOf(n.outputs[0]!) as number[];

    let xIn: string;
    let filter: string;
    let attrs: Record<string, AttrValue> = Object.fromEntries(n.attrs);
    if (depthwise) {
      xIn = reorderInput(X, xs, at);
      filter = depthwiseFilter(Wt, ws, at);
      attrs = { ...attrs, group: { kind: 'int', value: Op } };
      report.lowered.depthwise++;
    } else if (C < block) {
      xIn = X; // the kernels read an NCHW input with fewer channels than a block directly
      const padded = padFilter(Wt, ws, [Op, Cg, kh, kw], at);
      filter = reorderFilter(padded, [Op / block, block, Cg, kh, kw], [0, 2, 3, 4, 1], [Op, Cg, kh, kw], at);
      report.lowered.dense++;
    } else {
      xIn = reorderInput(X, xs, at);
      const Cp = roundUp(C, block);
      const padded = padFilter(Wt, ws, [Op, Cp, kh, kw], at);
      filter = reorderFilter(padded, [Op / block, block, Cp / block, block, kh, kw], [0, 2, 4, 5, 3, 1], [Op, Cp, kh, kw], at);
      report.lowered.dense++;
    }
    const yb = value(`${n.outputs[0]}_nchwc`, DType.FLOAT, [ys[0]!, Op, ys[2]!, ys[3]!]);
    node(`${at}/Conv`, 'Conv', [xIn, filter], [yb], attrs, NCHWC_DOMAIN);
    node(`${at}/ReorderOutput`, 'ReorderOutput', [yb], [n.outputs[0]!], { channels: { kind: 'int', value: O } }, NCHWC_DOMAIN);
  }

  /**
   * The depthwise weight gradient (src/autodiff/rules/conv.ts): X [N,C,H,W] viewed as [1, N·C, H, W],
   * convolved by dY [N,C,Ho,Wo] viewed as kernels [N·C, 1, Ho, Wo]. In the blocked layouts both views
   * are free: X's NCHWc form [N, C/B, H, W, B] is the [1, N·C, H, W] view's, and dY's is the
   * depthwise filter layout [N·C/B, 1, Ho, Wo, B] — so the conv reads the ReorderInputs that the forward
   * and input-gradient convs already made (or makes them once), and no filter Transpose is needed.
   * Channels padded to the block (C → Cp) add zero kernels whose outputs are sliced away.
   */
  function lowerBatchedDepthwise(n: Node, { x, dy }: { x: string; dy: string }) {
    const [N, C, H, W] = shapeOf(x) as [number, number, number, number];
    const [, , Ho, Wo] = shapeOf(dy) as [number, number, number, number];
    const [, , kh, kw] = shapeOf(n.outputs[0]!) as [number, number, number, number];
    const Cp = roundUp(C, block);
    const at = `${n.name}/nchwc`;
    const xr = value(`${x}_as_channels_nchwc`, DType.FLOAT, [1, N * Cp, H, W]);
    node(`${at}/input_view`, 'Reshape', [reorderInput(x, [N, C, H, W], at), ints(`${at}/input_view_shape`, [1, N * Cp, H, W])], [xr]);
    const fr = value(`${dy}_as_kernels_nchwc`, DType.FLOAT, [N * Cp, 1, Ho, Wo]);
    node(`${at}/kernel_view`, 'Reshape', [reorderInput(dy, [N, C, Ho, Wo], at), ints(`${at}/kernel_view_shape`, [N * Cp, 1, Ho, Wo])], [fr]);
    const yb = value(`${n.outputs[0]}_nchwc`, DType.FLOAT, [1, N * Cp, kh, kw]);
    node(`${at}/Conv`, 'Conv', [xr, fr], [yb], { ...Object.fromEntries(n.attrs), group: { kind: 'int', value: N * Cp } }, NCHWC_DOMAIN);
    if (Cp === C) {
      node(`${at}/ReorderOutput`, 'ReorderOutput', [yb], [n.outputs[0]!], { channels: { kind: 'int', value: N * Cp } }, NCHWC_DOMAIN);
    } else {
      // [1, N·Cp, kh, kw] → [N, Cp, kh·kw] → the first C channels of each sample → [1, N·C, kh, kw]
      const y = value(`${n.outputs[0]}_padded`, DType.FLOAT, [1, N * Cp, kh, kw]);
      node(`${at}/ReorderOutput`, 'ReorderOutput', [yb], [y], { channels: { kind: 'int', value: N * Cp } }, NCHWC_DOMAIN);
      const per = value(`${n.outputs[0]}_per_sample`, DType.FLOAT, [N, Cp, kh * kw]);
      node(`${at}/per_sample`, 'Reshape', [y, ints(`${at}/per_sample_shape`, [N, Cp, kh * kw])], [per]);
      const real = value(`${n.outputs[0]}_real`, DType.FLOAT, [N, C, kh * kw]);
      node(`${at}/drop_padding`, 'Slice', [per, ints(`${at}/starts`, [0]), ints(`${at}/ends`, [C]), ints(`${at}/axes`, [1])], [real]);
      node(`${at}/as_channels`, 'Reshape', [real, ints(`${at}/output_shape`, [1, N * C, kh, kw])], [n.outputs[0]!]);
    }
    report.lowered.depthwise++;
  }

  /**
   * A depthwise ConvTranspose (the input gradient of a strided depthwise conv, src/autodiff/rules/conv.ts)
   * as a stride-1 blocked depthwise conv of dY spread onto a grid of stride s:
   *   dX[q] = Σ_t w[t]·dY[i] over s·i + t − p = q   =  Σ_v w[k−1−v] · u[q + v − (k−1−p)]
   * with u[s·i] = dY[i] and zeros between: a correlation of u with the flipped kernel, begin pads k−1−p.
   * In the blocked layout [N, C/B, h, w, B] the spreading is one Pad of the view [N, C/B, h, 1, w, 1, B]
   * to [N, C/B, h, s, w, s, B], whose channel blocks stay contiguous; the plain ConvTranspose runs one
   * tiny GEMM and col2im per channel and sample.
   * @returns false (nothing emitted) when the node is not a depthwise ConvTranspose of static shape
   *   without bias and dilations, or a pad of the stride-1 form would be negative.
   */
  function lowerStridedDepthwiseTranspose(n: Node): boolean {
    const [dy, Wt, bias] = n.inputs as [string, string, string | undefined];
    if (bias) return false;
    const ds = shapeOf(dy);
    const ws = shapeOf(Wt);
    const xs = shapeOf(n.outputs[0]!);
    if (!ds || !ws || !xs || ds.length !== 4 || ws.length !== 4 || xs.length !== 4 || ![...ds, ...ws, ...xs].every((d) => typeof d === 'number')) return false;
    const [N, C, h, w] = ds as [number, number, number, number];
    const [, , H, W] = xs as [number, number, number, number];
    const [, Cg, kh, kw] = ws as [number, number, number, number];
    if (intAttr(n, 'group', 1) !== C || Cg !== 1 || ws[0] !== C) return false;
    if (intsAttr(n, 'dilations', [1, 1]).some((d) => d !== 1)) return false;
    const auto = n.attrs.get('auto_pad');
    if (auto && auto.kind === 'string' && auto.value !== 'NOTSET') return false;
    const [sh, sw] = intsAttr(n, 'strides', [1, 1]) as [number, number];
    const p = intsAttr(n, 'pads', [0, 0, 0, 0]);
    const begin = [kh - 1 - p[0]!, kw - 1 - p[1]!];
    const end = [H + kh - 1 - begin[0]! - sh * h, W + kw - 1 - begin[1]! - sw * w];
    if ([...begin, ...end].some((q) => q < 0)) return false;
    const at = `${n.name}/nchwc`;
    const Cp = roundUp(C, block);
    const blocked = reorderInput(dy, [N, C, h, w], at);
    const view = value(`${dy}_spread_view`, DType.FLOAT, [N, Cp / block, h, 1, w, 1, block]);
    node(`${at}/spread_view`, 'Reshape', [blocked, ints(`${at}/spread_view_shape`, [N, Cp / block, h, 1, w, 1, block])], [view]);
    const spread = value(`${dy}_spread`, DType.FLOAT, [N, Cp / block, h, sh, w, sw, block]);
    node(`${at}/spread`, 'Pad', [view, ints(`${at}/spread_pads`, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1, 0])], [spread], { mode: { kind: 'string', value: 'constant' } });
    const grid = value(`${dy}_spread_nchwc`, DType.FLOAT, [N, Cp, sh * h, sw * w]);
    node(`${at}/spread_merge`, 'Reshape', [spread, ints(`${at}/spread_shape`, [N, Cp, sh * h, sw * w])], [grid]);
    // the kernel flipped on both spatial axes, then padded and blocked as any depthwise filter
    const big = 2 ** 62;
    const flipped = value(`${Wt}_flipped`, DType.FLOAT, [C, 1, kh, kw]);
    node(`${at}/filter_flip`, 'Slice', [Wt, ints(`${at}/flip_starts`, [-1, -1]), ints(`${at}/flip_ends`, [-big, -big]), ints(`${at}/flip_axes`, [2, 3]), ints(`${at}/flip_steps`, [-1, -1])], [flipped]);
    const kernel = depthwiseFilter(flipped, [C, 1, kh, kw], at);
    const yb = value(`${n.outputs[0]}_nchwc`, DType.FLOAT, [N, Cp, H, W]);
    node(`${at}/Conv`, 'Conv', [grid, kernel], [yb], { group: { kind: 'int', value: Cp }, kernel_shape: { kind: 'ints', value: [kh, kw] }, pads: { kind: 'ints', value: [begin[0]!, begin[1]!, end[0]!, end[1]!] }, strides: { kind: 'ints', value: [1, 1] } }, NCHWC_DOMAIN);
    node(`${at}/ReorderOutput`, 'ReorderOutput', [yb], [n.outputs[0]!], { channels: { kind: 'int', value: C } }, NCHWC_DOMAIN);
    report.lowered.depthwise++;
    return true;
  }

  // The views the batched depthwise convs no longer read are left without consumers: drop them.
  const used = new Set(out.outputs.map((v) => v.name));
  const live: Node[] = [];
  for (let i = out.nodes.length - 1; i >= 0; i--) {
    const n = out.nodes[i]!;
    if (!n.outputs.some((o) => used.has(o))) continue;
    live.push(n);
    for (const v of n.inputs) used.add(v);
  }
  out.nodes.splice(0, out.nodes.length, ...live.reverse());
  for (const name of [...out.initializers.keys()]) {
    if (!used.has(name) && !g.inputs.some((v) => v.name === name)) {
      out.initializers.delete(name);
      out.constants.delete(name);
    }
  }

  out.doc = [g.doc, `Lowered for ONNX Runtime's CPU provider: ${report.lowered.dense} dense and ${report.lowered.depthwise} depthwise convs on blocked NCHWc kernels (block ${block}); ${report.kept.length} convs kept plain.`].filter(Boolean).join('\n');
  return { graph: out, report };
}

/**
 * When conv `n` is a depthwise conv of Reshape(X [N,C,H,W] → [1, N·C, H, W]) by Reshape(dY [N,C,Ho,Wo]
 * → [N·C, 1, Ho, Wo]) — the depthwise weight gradient's form — the two reshaped values; else null.
 */
function batchedDepthwise(n: Node, g: Graph, producer: Map<string, Node>): { x: string; dy: string } | null {
  const [xv, wv] = n.inputs as [string, string];
  const rx = producer.get(xv);
  const rw = producer.get(wv);
  if (rx?.opType !== 'Reshape' || rw?.opType !== 'Reshape') return null;
  const x = rx.inputs[0]!;
  const dy = rw.inputs[0]!;
  const xs = g.values.get(x)?.shape;
  const ds = g.values.get(dy)?.shape;
  const vs = g.values.get(xv)?.shape;
  const ws = g.values.get(wv)?.shape;
  if (!xs || !ds || !vs || !ws || xs.length !== 4 || ds.length !== 4 || ![...xs, ...ds].every((d) => typeof d === 'number')) return null;
  const [N, C] = xs as [number, number];
  const same = (a: readonly unknown[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (ds[0] !== N || ds[1] !== C) return null;
  if (!same(vs, [1, N * C, xs[2] as number, xs[3] as number]) || !same(ws, [N * C, 1, ds[2] as number, ds[3] as number])) return null;
  return intAttr(n, 'group', 1) === N * C ? { x, dy } : null;
}

function intAttr(n: Node, key: string, dflt: number): number {
  const a = n.attrs.get(key);
  return a && a.kind === 'int' ? a.value : dflt;
}

function intsAttr(n: Node, key: string, dflt: number[]): number[] {
  const a = n.attrs.get(key);
  return a && a.kind === 'ints' ? a.value : dflt;
}

/** Why conv `n` keeps its plain form, or null when the blocked kernels can run it. */
function unsuited(n: Node, g: Graph, block: number): string | null {
  if (n.inputs.length > 2 && n.inputs[2] !== '') return 'has a bias';
  const xs = g.values.get(n.inputs[0]!)?.shape;
  const ws = g.values.get(n.inputs[1]!)?.shape;
  if (!xs || !ws || xs.length !== 4 || ws.length !== 4 || ![...xs, ...ws].every((d) => typeof d === 'number')) return 'not a 4-D conv of static shape';
  if (g.values.get(n.inputs[0]!)?.dtype !== DType.FLOAT) return 'not float';
  const auto = n.attrs.get('auto_pad');
  if (auto && auto.kind === 'string' && auto.value !== 'NOTSET') return 'auto_pad';
  const C = xs[1] as number;
  const [O, Cg, kh, kw] = ws as number[];
  const group = intAttr(n, 'group', 1);
  const unitStride = intsAttr(n, 'strides', [1, 1]).every((s) => s === 1);
  // a 1x1 conv is one GEMM in ORT's plain path, which the blocked kernel does not beat (measured
  // 0.73x at 32→32 on 16x16, bench/nchwc-convs.ts)
  if (group === 1 && kh === 1 && kw === 1 && unitStride) return 'pointwise (faster as a plain GEMM)';
  if (group !== 1 && !(group === C && group === O && Cg === 1)) return `grouped (group ${group}) but not depthwise`;
  return null;
}
