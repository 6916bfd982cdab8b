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

/** Thrown for an op or attribute combination that has no gradient rule. */
export class UnsupportedGradient extends Error {
  constructor(node: Node, what: string) {
    super(`no gradient for ${node.opType} node '${node.name}' (inputs: ${node.inputs.join(', ')}): ${what}`);
  }
}

export function attrInt(node: Node, key: string, dflt: number): number {
  const a = node.attrs.get(key);
  return a && a.kind === 'int' ? a.value : dflt;
}

export function attrInts(node: Node, key: string): number[] | undefined {
  const a = node.attrs.get(key);
  return a && a.kind === 'ints' ? a.value : undefined;
}

export function attrFloat(node: Node, key: string, dflt: number): number {
  const a = node.attrs.get(key);
  return a && a.kind === 'float' ? a.value : dflt;
}
