// Static shape and dtype inference for the opset-17 ops nasgrow emits. Every value in every graph gets
// a shape here, so the writer can emit value_info for all of them and autodiff can reduce broadcast
// gradients. An op without a rule here cannot be emitted: add its rule next to its siblings.
import type { Dim, Graph, Node, ValueInfo, AttrValue } from './ir';
import { DType } from './ir';

type Out = Omit<ValueInfo, 'name'>;

function info(g: Graph, name: string): ValueInfo {
  const vi = g.values.get(name);
  if (!vi) throw new Error(`unknown value ${name}`);
  return vi;
}

function intAttr(n: Node, key: string, dflt: number): number {
  const a = n.attrs.get(key);
  return a && a.kind === 'int' ? a.value : dflt;
}

function intsAttr(n: Node, key: string): number[] | undefined {
  const a: AttrValue | undefined = n.attrs.get(key);
  return a && a.kind === 'ints' ? a.value : undefined;
}

function constInts(g: Graph, name: string | undefined, what: string, n: Node): number[] | undefined {
  if (name === undefined || name === '') return undefined;
  const t = g.constants.get(name);
  if (!t) throw new Error(`${n.opType} ${n.name}: ${what} (${name}) must be a build-time constant`);
  return Array.from(t.data as BigInt64Array, (v) => Number(v));
}

/** numpy-style broadcast of two shapes */
export function broadcastShapes(a: Dim[], b: Dim[], where: string): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`${where}: shapes [${a}] and [${b}] do not broadcast`);
  }
  return out;
}

const mul = (a: Dim, b: Dim): Dim => (a === 1 ? b : b === 1 ? a : typeof a === 'number' && typeof b === 'number' ? a * b : `${a}*${b}`);

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function convSpatial(n: Node, x: Dim[], kernel: number[], transpose: boolean, outputPadding: number[] = []): Dim[] {
  const k = kernel.length;
  const strides = intsAttr(n, 'strides') ?? new Array(k).fill(1);
  const dil = intsAttr(n, 'dilations') ?? new Array(k).fill(1);
  const pads = intsAttr(n, 'pads') ?? new Array(2 * k).fill(0);
  const out: Dim[] = [];
  for (let i = 0; i < k; i++) {
    const size = x[2 + i]!;
    if (typeof size !== 'number') {
      out.push(`${n.name}_d${i}`);
      continue;
    }
    const eff = dil[i]! * (kernel[i]! - 1) + 1;
    if (transpose) {
      out.push(strides[i]! * (size - 1) + (outputPadding[i] ?? 0) + eff - pads[i]! - pads[i + k]!);
    } else {
      out.push(Math.floor((size + pads[i]! + pads[i + k]! - eff) / strides[i]!) + 1);
    }
  }
  return out;
}

function reduceShape(x: Dim[], axes: number[] | undefined, keep: boolean): Dim[] {
  const all = axes === undefined || axes.length === 0;
  const set = new Set((axes ?? []).map((a) => normAxis(a, x.length)));
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (all || set.has(i)) {
      if (keep) out.push(1);
    } else out.push(d);
  });
  return out;
}

/**
 * The dtype and static shape of each output of node `n`, from its inputs' (already in `g`) and its
 * attributes. @throws Error for an op without a rule here, or inputs that do not fit (shapes that do not
 * broadcast, a reshape that changes the element count, a non-constant shape or axes input).
 */
export function inferShapes(g: Graph, n: Node): Out[] {
  const X = (i: number) => info(g, n.inputs[i]!);
  const same = (i = 0): Out => ({ dtype: X(i).dtype, shape: [...X(i).shape] });
  const where = `${n.opType} ${n.name}`;
  switch (n.opType) {
    case 'Identity':
    case 'Relu':
    case 'Neg':
    case 'Sqrt':
    case 'Reciprocal':
    case 'Exp':
    case 'Log':
    case 'Abs':
    case 'Sign':
    case 'Softplus':
    case 'Sigmoid':
    case 'Softmax':
    case 'LogSoftmax':
      return [same()];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Max':
    case 'Min':
      return [{ dtype: X(0).dtype, shape: broadcastShapes(X(0).shape, X(1).shape, where) }];
    case 'Sum': {
      let s = X(0).shape;
      for (let i = 1; i < n.inputs.length; i++) s = broadcastShapes(s, X(i).shape, where);
      return [{ dtype: X(0).dtype, shape: s }];
    }
    case 'Equal':
    case 'Greater':
    case 'Less':
    case 'GreaterOrEqual':
      return [{ dtype: DType.BOOL, shape: broadcastShapes(X(0).shape, X(1).shape, where) }];
    case 'Not':
      return [same()];
    case 'Where':
      return [{ dtype: X(1).dtype, shape: broadcastShapes(broadcastShapes(X(0).shape, X(1).shape, where), X(2).shape, where) }];
    case 'Cast':
      return [{ dtype: intAttr(n, 'to', DType.FLOAT) as DType, shape: [...X(0).shape] }];
    case 'Conv': {
      const w = X(1).shape as number[];
      return [{ dtype: DType.FLOAT, shape: [X(0).shape[0]!, w[0]!, ...convSpatial(n, X(0).shape, w.slice(2), false)] }];
    }
    case 'ConvTranspose': {
      const w = X(1).shape as number[];
      const group = intAttr(n, 'group', 1);
      const op = intsAttr(n, 'output_padding') ?? [];
      return [{ dtype: DType.FLOAT, shape: [X(0).shape[0]!, w[1]! * group, ...convSpatial(n, X(0).shape, w.slice(2), true, op)] }];
    }
    case 'MaxPool':
    case 'AveragePool': {
      const k = intsAttr(n, 'kernel_shape')!;
      const y: Out = { dtype: DType.FLOAT, shape: [X(0).shape[0]!, X(0).shape[1]!, ...convSpatial(n, X(0).shape, k, false)] };
      return n.outputs.length > 1 ? [y, { dtype: DType.INT64, shape: [...y.shape] }] : [y];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return [{ dtype: X(0).dtype, shape: [X(0).shape[0]!, X(0).shape[1]!, ...X(0).shape.slice(2).map(() => 1)] }];
    case 'BatchNormalization':
      return [same()];
    case 'MaxUnpool': {
      // X [N, C, h, w] → output_shape when given, else [N, C, (h−1)·s + k − pads, ...]
      const given = n.inputs[2] ? constInts(g, n.inputs[2], 'output_shape', n) : undefined;
      if (given) return [{ dtype: X(0).dtype, shape: given }];
      const k = intsAttr(n, 'kernel_shape')!;
      const st = intsAttr(n, 'strides') ?? k.map(() => 1);
      const p = intsAttr(n, 'pads') ?? [...k.map(() => 0), ...k.map(() => 0)];
      const s = X(0).shape as number[];
      return [{ dtype: X(0).dtype, shape: [s[0]!, s[1]!, ...k.map((kk, i) => (s[2 + i]! - 1) * st[i]! + kk - p[i]! - p[i + k.length]!)] }];
    }
    case 'Flatten': {
      const axis = normAxis(intAttr(n, 'axis', 1), X(0).shape.length);
      const s = X(0).shape;
      return [{ dtype: X(0).dtype, shape: [s.slice(0, axis).reduce(mul, 1), s.slice(axis).reduce(mul, 1)] }];
    }
    case 'Reshape': {
      const target = constInts(g, n.inputs[1], 'shape', n)!;
      const s = X(0).shape;
      const known = s.every((d) => typeof d === 'number');
      const total = known ? (s as number[]).reduce((a, b) => a * b, 1) : undefined;
      const out: Dim[] = target.map((d, i) => (d === 0 ? s[i]! : d));
      const neg = out.indexOf(-1);
      if (neg >= 0) {
        const rest = out.filter((d, i) => i !== neg) as number[];
        if (total === undefined || rest.some((d) => typeof d !== 'number')) out[neg] = `${n.name}_d${neg}`;
        else out[neg] = total / rest.reduce((a, b) => a * b, 1);
      }
      if (total !== undefined && out.every((d) => typeof d === 'number')) {
        const t2 = (out as number[]).reduce((a, b) => a * b, 1);
        if (t2 !== total) throw new Error(`${where}: cannot reshape [${s}] to [${target}]`);
      }
      return [{ dtype: X(0).dtype, shape: out }];
    }
    case 'Transpose': {
      const s = X(0).shape;
      const perm = intsAttr(n, 'perm') ?? s.map((_, i) => s.length - 1 - i);
      return [{ dtype: X(0).dtype, shape: perm.map((p) => s[p]!) }];
    }
    case 'Squeeze': {
      const axes = (constInts(g, n.inputs[1], 'axes', n) ?? []).map((a) => normAxis(a, X(0).shape.length));
      return [{ dtype: X(0).dtype, shape: X(0).shape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1)) }];
    }
    case 'Unsqueeze': {
      const s = [...X(0).shape];
      const rank = s.length + constInts(g, n.inputs[1], 'axes', n)!.length;
      const axes = constInts(g, n.inputs[1], 'axes', n)!.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
      for (const a of axes) s.splice(a, 0, 1);
      return [{ dtype: X(0).dtype, shape: s }];
    }
    case 'Slice': {
      const s = [...X(0).shape];
      const starts = constInts(g, n.inputs[1], 'starts', n)!;
      const ends = constInts(g, n.inputs[2], 'ends', n)!;
      const axes = constInts(g, n.inputs[3], 'axes', n) ?? starts.map((_, i) => i);
      const steps = constInts(g, n.inputs[4], 'steps', n) ?? starts.map(() => 1);
      axes.forEach((a0, i) => {
        const a = normAxis(a0, s.length);
        const dim = s[a];
        if (typeof dim !== 'number') throw new Error(`${where}: slicing a symbolic axis`);
        const step = steps[i]!;
        const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
        let st = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
        let en = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
        if (step > 0) {
          st = clamp(st, 0, dim);
          en = clamp(en, 0, dim);
          s[a] = Math.max(0, Math.ceil((en - st) / step));
        } else {
          st = clamp(st, -1, dim - 1);
          en = clamp(en, -1, dim - 1);
          s[a] = Math.max(0, Math.ceil((en - st) / step));
        }
      });
      return [{ dtype: X(0).dtype, shape: s }];
    }
    case 'Concat': {
      const axis = normAxis(intAttr(n, 'axis', 0), X(0).shape.length);
      const s = [...X(0).shape];
      for (let i = 1; i < n.inputs.length; i++) {
        const d = X(i).shape[axis]!;
        s[axis] = typeof s[axis] === 'number' && typeof d === 'number' ? (s[axis] as number) + d : `${n.name}_d${axis}`;
      }
      return [{ dtype: X(0).dtype, shape: s }];
    }
    case 'Pad': {
      const pads = constInts(g, n.inputs[1], 'pads', n)!;
      const s = X(0).shape;
      const r = s.length;
      return [{ dtype: X(0).dtype, shape: s.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + r]! : d)) }];
    }
    case 'Expand': {
      const target = constInts(g, n.inputs[1], 'shape', n)!;
      return [{ dtype: X(0).dtype, shape: broadcastShapes(X(0).shape, target, where) }];
    }
    case 'Tile': {
      const reps = constInts(g, n.inputs[1], 'repeats', n)!;
      return [{ dtype: X(0).dtype, shape: X(0).shape.map((d, i) => mul(d, reps[i]!)) }];
    }
    case 'ReduceSum':
      return [{ dtype: X(0).dtype, shape: reduceShape(X(0).shape, constInts(g, n.inputs[1], 'axes', n), intAttr(n, 'keepdims', 1) === 1) }];
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSumSquare':
    case 'ReduceLogSumExp':
      return [{ dtype: X(0).dtype, shape: reduceShape(X(0).shape, intsAttr(n, 'axes'), intAttr(n, 'keepdims', 1) === 1) }];
    case 'ArgMax': {
      const axis = normAxis(intAttr(n, 'axis', 0), X(0).shape.length);
      return [{ dtype: DType.INT64, shape: reduceShape(X(0).shape, [axis], intAttr(n, 'keepdims', 1) === 1) }];
    }
    case 'MatMul': {
      const a = X(0).shape;
      const b = X(1).shape;
      const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), where);
      return [{ dtype: DType.FLOAT, shape: [...batch, a[a.length - 2]!, b[b.length - 1]!] }];
    }
    case 'Gemm': {
      const a = X(0).shape;
      const b = X(1).shape;
      const m = intAttr(n, 'transA', 0) ? a[1]! : a[0]!;
      const nn = intAttr(n, 'transB', 0) ? b[0]! : b[1]!;
      return [{ dtype: DType.FLOAT, shape: [m, nn] }];
    }
    case 'OneHot': {
      const depth = constInts(g, n.inputs[1], 'depth', n)![0]!;
      const s = [...X(0).shape];
      const axis = intAttr(n, 'axis', -1);
      s.splice(axis < 0 ? s.length + 1 + axis : axis, 0, depth);
      return [{ dtype: X(2).dtype, shape: s }];
    }
    case 'SoftmaxCrossEntropyLoss': {
      const red = n.attrs.get('reduction');
      const none = red && red.kind === 'string' && red.value === 'none';
      const loss: Out = { dtype: DType.FLOAT, shape: none ? [X(0).shape[0]!] : [] };
      return n.outputs.length > 1 ? [loss, same()] : [loss];
    }
    case 'ScatterElements':
      return [same()];
    case 'GatherElements':
      return [{ dtype: X(0).dtype, shape: [...X(1).shape] }];
    case 'ConstantOfShape': {
      const t = n.attrs.get('value');
      return [{ dtype: t && t.kind === 'tensor' ? t.value.dtype : DType.FLOAT, shape: constInts(g, n.inputs[0], 'shape', n)! }];
    }
    case 'Shape':
      return [{ dtype: DType.INT64, shape: [X(0).shape.length] }];
    default:
      throw new Error(`${where}: no shape rule for op ${n.opType} (add one to src/onnx/shapes.ts)`);
  }
}
