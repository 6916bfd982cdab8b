// The in-memory ONNX intermediate representation: values, nodes, composites and the graph that holds
// them. Plain data; the builder (graph.ts) creates it, shape inference (shapes.ts) reads it, the writer
// (writer.ts) serialises it. Kept apart from the builder so that shapes.ts and graph.ts do not import
// each other.

export enum DType {
  FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
}

/** A dimension is a number, or a symbolic name (e.g. 'N' for a dynamic batch). */
export type Dim = number | string;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorData };

/** Attribute shorthand accepted by `op`: integer numbers become INT, arrays INTS, strings STRING. */
export type AttrInput = number | number[] | string | AttrValue;

/** A FLOAT attribute (a plain number would become INT when it is whole). */
export const float = (value: number): AttrValue => ({ kind: 'float', value });
/** A FLOATS attribute. */
export const floats = (value: number[]): AttrValue => ({ kind: 'floats', value });

export interface TensorData {
  dtype: DType;
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[];
  doc?: string;
}

export interface Node {
  name: string;
  opType: string;
  /** operator set of the op: '' (default) is ONNX's; 'com.microsoft.nchwc' ORT's blocked kernels */
  domain?: string;
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Map<string, AttrValue>;
  doc?: string;
  /** set when the node belongs to a composite op with its own gradient rule (see autodiff) */
  composite?: number;
  /** the layer or section (`conv3`, `fc`, `loss`) and the part of the step (`forward`, `backward`,
   *  `sgd`, ...) the node belongs to: a saved graph groups its nodes into one function per pair
   *  (writer option `functions`). Set from the node's name by src/models/parts.ts. */
  layer?: string;
  part?: string;
}

/** A group of nodes that autodiff differentiates as one unit (like a custom VJP). */
export interface Composite {
  id: number;
  type: string;
  inputs: string[];
  outputs: string[];
  /** forward values the gradient rule reuses, by role */
  saved: Record<string, string>;
  /** attributes the rule needs */
  params: Record<string, number>;
  scope: string;
}

/** A graph under construction or finished: nodes in topological order, and every value's dtype and shape. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers = new Map<string, TensorData>();
  readonly values = new Map<string, ValueInfo>();
  /** values whose content is known at build time (initializers that hold shapes, axes, ...) */
  readonly constants = new Map<string, TensorData>();
  /** initializers that are constants of the computation (shapes, axes, scalars, fixed kernels) rather
   *  than tensors of the model: a saved graph's functions hold their own copy as a Constant node */
  readonly opConstants = new Set<string>();
  readonly composites: Composite[] = [];
  readonly metadata = new Map<string, string>();
  doc = '';
  constructor(public name: string) {}

  /** The node that outputs `value`, or undefined for graph inputs and initializers. */
  producerOf(value: string): Node | undefined {
    // Linear scan is fine at our graph sizes (a few thousand nodes) and callers are off the hot path.
    for (const n of this.nodes) if (n.outputs.includes(value)) return n;
    return undefined;
  }
}

