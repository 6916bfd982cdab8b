// Shared types of the gradient rules.
import type { Composite, GraphBuilder, Node } from '../onnx/graph';

/**
 * A gradient rule: given the node and the gradients of its outputs (null = symbolic zero), emit ONNX
 * nodes with `b` and return one gradient per input (null = no contribution). Rules may return a
 * gradient in the *output's broadcast shape*; the walker reduces it back to the input's shape.
 * `needs[i]` says whether input i needs a gradient at all (it depends on a value being differentiated);
 * costly rules skip the others — a conv's weight gradient when only activation gradients are asked
 * for (the grow graph's g), its input gradient at the first layer.
 */
export type GradRule = (b: GraphBuilder, node: Node, dY: (string | null)[], needs: boolean[]) => (string | null)[];

/** The rule of a composite op (a group of nodes differentiated as one unit, see GraphBuilder.composite). */
export type CompositeRule = (b: GraphBuilder, c: Composite, dY: (string | null)[], needs: boolean[]) => (string | null)[];

/**
 * The one way a rule (or the walker) refuses: the op, or this combination of its attributes and
 * inputs, has no gradient rule. The message names the op, the node, its inputs and what is missing.
 * (Ops whose outputs carry no gradient at all — indices, comparisons — are not refused: they are
 * NO_GRADIENT entries of the rule table, src/autodiff/rules/index.ts.)
 */
export class UnsupportedGradient extends Error {
  constructor(node: Pick<Node, 'opType' | 'name' | 'inputs'>, what: string) {
    super(`no gradient for ${node.opType} node '${node.name}' (inputs: ${node.inputs.join(', ')}): ${what}`);
    this.name = 'UnsupportedGradient';
  }
}

/**
 * The name of the final gradient of value `x`: `X_grad`, as ONNX Runtime's gradient builder names it
 * (src/models/names.ts, the name authority, re-exports it).
 */
export const gradName = (x: string): string => `${x}_grad`;

/** The rule-table entry of an op whose outputs carry no gradient to its inputs (ArgMax, Equal, Cast, Shape, ...). */
export const NO_GRADIENT = Symbol('no gradient');

/** Integer attribute `key` of `node`, or `dflt` when absent (ONNX's default). */
export function attrInt(node: Node, key: string, dflt: number): number {
  const a = node.attrs.get(key);
  return a && a.kind === 'int' ? a.value : dflt;
}

/** Integer-list attribute `key` of `node`, or undefined when absent. */
export function attrInts(node: Node, key: string): number[] | undefined {
  const a = node.attrs.get(key);
  return a && a.kind === 'ints' ? a.value : undefined;
}

/** Float attribute `key` of `node`, or `dflt` when absent. */
export function attrFloat(node: Node, key: string, dflt: number): number {
  const a = node.attrs.get(key);
  return a && a.kind === 'float' ? a.value : dflt;
}
