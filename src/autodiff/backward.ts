// Reverse-mode autodiff over an ONNX graph under construction.
//
// As in micrograd: walk the nodes that lie on a path from the parameters to the loss in reverse
// order; each rule *adds* gradient contributions to its inputs, and a value used twice simply gets two
// contributions, summed with one `Sum` node when the value's own producer is reached. Symbolic zeros:
// a null gradient emits nothing, so dead branches cost nothing; rules are told which inputs need a
// gradient (`needs`) and emit nothing for the others. Broadcast gradients are reduced to the input's
// shape here, once, so rules never handle broadcasting.
//
// Names, as ONNX Runtime's gradient builder gives them: the gradient of value X is `X_grad`
// (gradName in ./types.ts); the nodes of a node's rule sit under `<node name>_grad/`.
import { Composite, DType, GraphBuilder, Node } from '../onnx/graph';
import { COMPOSITE_RULES, RULES } from './rules';
import { gradName, NO_GRADIENT, UnsupportedGradient } from './types';

/** A unit of differentiation: a plain node, or a composite group treated as one op. */
type Unit = { kind: 'node'; node: Node; inputs: string[]; outputs: string[] } | { kind: 'composite'; c: Composite; inputs: string[]; outputs: string[] };

export interface BackwardResult {
  /** per requested value X: its gradient, the value `X_grad`; null when the loss does not depend on X */
  grads: Map<string, string | null>;
}

/**
 * Emit into `b`'s graph the gradient of `loss` with respect to every value in `wrt` (graph inputs or
 * values computed before this call): one value `X_grad` per X, shaped as X.
 * @param loss  a float value; `seed` is its upstream gradient (default: ones of its shape, i.e. the
 *              gradient of the sum of `loss`'s elements)
 * @returns the gradient value of each requested value (null where `loss` does not depend on it)
 * @throws UnsupportedGradient for an op on the path from `wrt` to `loss` that has no rule (or an
 *   attribute combination its rule does not cover), naming the op, node and inputs.
 * The rules' formulas are in their files (src/autodiff/rules/); the method is reverse accumulation
 * (micrograd, tinygrad, JAX: docs/method.md does not repeat it).
 */
export function backward(b: GraphBuilder, loss: string, wrt: string[], seed?: string): BackwardResult {
  const g = b.graph;
  const firstNode = g.nodes.length;
  const units = buildUnits(g.nodes, g.composites);

  // Values that depend on some wrt value (only float values carry gradients).
  const depends = new Set<string>(wrt);
  for (const u of units) {
    if (u.inputs.some((i) => depends.has(i))) {
      for (const o of u.outputs) if (g.values.get(o)!.dtype === DType.FLOAT) depends.add(o);
    }
  }
  // Values the loss depends on.
  const reaches = new Set<string>([loss]);
  for (let k = units.length - 1; k >= 0; k--) {
    const u = units[k]!;
    if (u.outputs.some((o) => reaches.has(o))) for (const i of u.inputs) reaches.add(i);
  }

  const contributions = new Map<string, string[]>();
  const add = (value: string, grad: string) => {
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  add(loss, seed ?? b.floats([1], b.staticShape(loss)));

  // Sum a value's contributions into `<value>_grad` (Identity-free when there is just one).
  const total = (value: string): string | null => {
    const list = contributions.get(value);
    if (!list || list.length === 0) return null;
    if (list.length === 1) return list[0]!;
    // a + Neg(c) → a − c (bit for bit the same; one pass fewer): a Sub's second input meets another
    // contribution, as in the growing step's dΘ = dc⁺ − dc⁻ (src/grow/graph.ts). A Neg nothing else
    // reads is dropped by finish().
    const negated = list.length === 2 ? list.map((v) => b.graph.producerOf(v)).map((n) => (n?.opType === 'Neg' ? n : undefined)) : [];
    if (list.length === 2 && !negated[0] !== !negated[1]) {
      const k = negated[1] ? 1 : 0;
      const diff = b.atScope(gradName(value), () => b.op1('Sub', [list[1 - k]!, negated[k]!.inputs[0]!], {}, { names: [gradName(value)] }));
      contributions.set(value, [diff]);
      return diff;
    }
    const summed = b.atScope(gradName(value), () => b.op1('Sum', list, {}, { names: [gradName(value)] }));
    contributions.set(value, [summed]);
    return summed;
  };

  for (let k = units.length - 1; k >= 0; k--) {
    const u = units[k]!;
    if (!u.outputs.some((o) => reaches.has(o)) || !u.inputs.some((i) => depends.has(i))) continue;
    const dY = u.outputs.map(total);
    if (dY.every((d) => d === null)) continue;
    const label = u.kind === 'node' ? u.node.name : `${u.c.scope ? `${u.c.scope}/` : ''}${u.c.type}`;
    const needs = u.inputs.map((i) => depends.has(i));
    const dX = b.atScope(`${label}_grad`, () => {
      if (u.kind === 'composite') {
        const rule = Object.hasOwn(COMPOSITE_RULES, u.c.type) ? COMPOSITE_RULES[u.c.type as keyof typeof COMPOSITE_RULES] : undefined;
        if (!rule) throw new UnsupportedGradient({ opType: u.c.type, name: label, inputs: u.c.inputs }, 'composite has no gradient rule (src/autodiff/rules/index.ts)');
        return rule(b, u.c, dY, needs);
      }
      const rule = Object.hasOwn(RULES, u.node.opType) ? RULES[u.node.opType as keyof typeof RULES] : undefined;
      if (rule === undefined) throw new UnsupportedGradient(u.node, 'op has no gradient rule (src/autodiff/rules/)');
      if (rule === NO_GRADIENT) return u.node.inputs.map(() => null);
      return rule(b, u.node, dY, needsOf(u.node, depends));
    });
    u.inputs.forEach((input, i) => {
      const d = dX[i];
      if (!d || !depends.has(input)) return;
      add(input, b.atScope(`${label}_grad`, () => unbroadcast(b, d, input)));
    });
  }

  // Final gradients get their conventional names. A value this call emitted is renamed (its consumers
  // follow); a value that was there before (the seed, a graph input) or that already names another
  // requested gradient gets an Identity under the name instead.
  const emitted = new Set(g.nodes.slice(firstNode).flatMap((n) => n.outputs));
  const named = new Set<string>();
  const grads = new Map<string, string | null>();
  for (const w of wrt) {
    const d = total(w);
    if (d === null) {
      grads.set(w, null);
      continue;
    }
    const name = gradName(w);
    if (d !== name) {
      if (emitted.has(d) && !named.has(d)) b.renameValue(d, name);
      else b.atScope(name, () => b.op1('Identity', [d], {}, { names: [name] }));
    }
    named.add(name);
    grads.set(w, name);
  }
  return { grads };
}

/** Per node input (including omitted optional ones, as rules index them): does it need a gradient? */
function needsOf(node: Node, depends: Set<string>): boolean[] {
  return node.inputs.map((i) => i !== '' && depends.has(i));
}

function buildUnits(nodes: Node[], composites: Composite[]): Unit[] {
  const units: Unit[] = [];
  const lastOfComposite = new Map<number, number>();
  nodes.forEach((n, k) => {
    if (n.composite !== undefined) lastOfComposite.set(n.composite, k);
  });
  nodes.forEach((n, k) => {
    if (n.composite === undefined) {
      units.push({ kind: 'node', node: n, inputs: n.inputs.filter((i) => i !== ''), outputs: n.outputs });
    } else if (lastOfComposite.get(n.composite) === k) {
      const c = composites[n.composite]!;
      units.push({ kind: 'composite', c, inputs: c.inputs, outputs: c.outputs });
    }
  });
  return units;
}

/** Sum a gradient of broadcast shape back to the shape of `input` (numpy broadcasting rules). */
export function unbroadcast(b: GraphBuilder, grad: string, input: string): string {
  const gs = b.staticShape(grad);
  const xs = b.staticShape(input);
  if (gs.length === xs.length && gs.every((d, i) => d === xs[i])) return grad;
  const lead = gs.length - xs.length;
  const axes: number[] = [];
  gs.forEach((d, i) => {
    if (i < lead || (xs[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  let r = grad;
  if (axes.length) r = b.op1('ReduceSum', [grad, b.ints(axes)], { keepdims: 1 }, { name: 'unbroadcast' });
  const rs = b.staticShape(r);
  const numel = (s: number[]) => s.reduce((a, c) => a * c, 1);
  if (numel(rs) !== numel(xs)) throw new Error(`cannot reduce gradient [${gs}] to input ${input} [${xs}]`);
  if (rs.length !== xs.length || rs.some((d, i) => d !== xs[i])) r = b.op1('Reshape', [r, b.ints(xs)], {}, { name: 'unbroadcast_reshape' });
  return r;
}
