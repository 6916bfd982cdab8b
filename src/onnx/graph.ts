// In-memory ONNX graph and the builder every graph in nasgrow is made with.
//
// The builder is tape-like: `op(type, inputs, attrs)` appends a node and returns its output names,
// so the node list is always in topological order. Every value gets a static dtype and shape at
// creation (see shapes.ts), which the writer emits as value_info so Netron shows every tensor's shape.
// Names come from one authority (the builder): node names are `<scope>/<OpType>` with a counter suffix
// when taken, so the same construction gives the same names, byte for byte.
import { AttrInput, AttrValue, Dim, DType, Graph, Node, TensorData, ValueInfo } from './ir';
import { inferShapes } from './shapes';

export * from './ir';

function toAttr(name: string, v: AttrInput): AttrValue {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}=${v}: use float(${v}) for a float attribute`);
    return { kind: 'int', value: v };
  }
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) {
    if (!v.every(Number.isInteger)) throw new Error(`attribute ${name}: use floats([...]) for float lists`);
    return { kind: 'ints', value: v };
  }
  return v;
}

export interface OpOptions {
  /** number of outputs (default 1) */
  outputs?: number;
  /** explicit output names (default `<node name>:<i>`-style names from the authority) */
  names?: string[];
  /** base name of the node inside the current scope (default: the op type) */
  name?: string;
  doc?: string;
}

/** Builds one Graph (see the file comment): ops, inputs, initializers, constants, outputs, scopes. */
export class GraphBuilder {
  readonly graph: Graph;
  private scopes: string[] = [];
  // Node names and value names are separate namespaces in ONNX.
  private takenNodes = new Set<string>();
  private taken = new Set<string>();
  private constCount = new Map<string, string>();
  private currentComposite: number | undefined;

  constructor(name: string) {
    this.graph = new Graph(name);
  }

  /** Run `fn` with `prefix` appended to the name scope: nodes read as `block3/conv/Conv` in Netron. */
  scope<T>(prefix: string, fn: () => T): T {
    this.scopes.push(prefix);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Run `fn` with the name scope replaced by the absolute `path` (autodiff puts a node's gradient
   *  nodes under `<node name>_grad/`). */
  atScope<T>(path: string, fn: () => T): T {
    const saved = this.scopes;
    this.scopes = path ? [path] : [];
    try {
      return fn();
    } finally {
      this.scopes = saved;
    }
  }

  get scopeName(): string {
    return this.scopes.join('/');
  }

  /** A fresh, unique node name `<scope>/<base>` (suffix _1, _2, ... when taken). */
  fresh(base: string): string {
    const full = this.scopes.length ? `${this.scopeName}/${base}` : base;
    let name = full;
    // A node's default output `<node>:0` must be free too.
    for (let i = 1; this.takenNodes.has(name) || this.taken.has(`${name}:0`); i++) name = `${full}_${i}`;
    this.takenNodes.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`graph ${this.graph.name}: name ${name} is already used`);
    this.taken.add(name);
    return name;
  }

  /** Declare graph input `name` (dtype, shape with numbers or symbolic names); returns its name. @throws Error when taken. */
  input(name: string, dtype: DType, shape: Dim[], doc?: string): string {
    this.claim(name);
    const vi: ValueInfo = { name, dtype, shape, doc };
    this.graph.inputs.push(vi);
    this.graph.values.set(name, vi);
    return name;
  }

  /** Add initializer `name` holding `t` (also a build-time constant for shape rules); returns its name. @throws Error when taken. */
  initializer(name: string, t: TensorData, doc?: string): string {
    this.claim(name);
    this.graph.initializers.set(name, t);
    this.graph.constants.set(name, t);
    this.graph.values.set(name, { name, dtype: t.dtype, shape: t.shape, doc });
    return name;
  }

  /** Add initializer `name` holding `t` as a constant of the computation (not a model tensor: see
   *  Graph.opConstants); returns its name. @throws Error when taken. */
  constant(name: string, t: TensorData, doc?: string): string {
    this.initializer(name, t, doc);
    this.graph.opConstants.add(name);
    return name;
  }

  /** An int64 constant (shapes, axes, pads), shared by every node that asks for the same values. */
  ints(values: number[], shape: number[] = [values.length]): string {
    const key = `i64:${shape.join('x')}:${values.join(',')}`;
    const hit = this.constCount.get(key);
    if (hit) return hit;
    const name = this.freshGlobal(`const_i64_${values.map((v) => (v < 0 ? `m${-v}` : `${v}`)).join('_').slice(0, 40)}`);
    this.constant(name, { dtype: DType.INT64, shape, data: BigInt64Array.from(values.map(BigInt)) });
    this.constCount.set(key, name);
    return name;
  }

  /** A float32 constant, shared like `ints`. */
  floats(values: number[], shape: number[] = values.length === 1 ? [] : [values.length]): string {
    const f = Float32Array.from(values);
    const key = `f32:${shape.join('x')}:${Array.from(f).join(',')}`;
    const hit = this.constCount.get(key);
    if (hit) return hit;
    const label = values.length === 1 ? `${f[0]}`.replace(/[^0-9a-zA-Z]/g, '_') : `${values.length}`;
    const name = this.freshGlobal(`const_f32_${label}`);
    this.constant(name, { dtype: DType.FLOAT, shape, data: f });
    this.constCount.set(key, name);
    return name;
  }

  private freshGlobal(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    return name; // claimed by initializer()
  }

  /** Append a node; returns its output names. Shapes and dtypes are inferred immediately. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, opts: OpOptions = {}): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.graph.values.has(i)) {
        throw new Error(`graph ${this.graph.name}: ${opType} in scope '${this.scopeName}' uses unknown value '${i}'`);
      }
    }
    const nodeName = this.fresh(opts.name ?? opType);
    const count = opts.names?.length ?? opts.outputs ?? 1;
    const outputs = opts.names
      ? opts.names.map((n) => this.claim(n))
      : Array.from({ length: count }, (_, k) => this.claim(count === 1 ? `${nodeName}:0` : `${nodeName}:${k}`));
    const attrMap = new Map<string, AttrValue>();
    for (const key of Object.keys(attrs).sort()) attrMap.set(key, toAttr(key, attrs[key]!));
    const node: Node = { name: nodeName, opType, inputs, outputs, attrs: attrMap, doc: opts.doc, composite: this.currentComposite };
    const infos = inferShapes(this.graph, node);
    infos.forEach((vi, k) => this.graph.values.set(outputs[k]!, { name: outputs[k]!, dtype: vi.dtype, shape: vi.shape }));
    this.graph.nodes.push(node);
    return outputs;
  }

  /** `op` for the common single-output case. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, opts: OpOptions = {}): string {
    return this.op(opType, inputs, attrs, opts)[0]!;
  }

  /** Declare value `name` a graph output. @throws Error when it is not a value of the graph. */
  output(name: string, doc?: string): void {
    const vi = this.graph.values.get(name);
    if (!vi) throw new Error(`graph ${this.graph.name}: output ${name} is not a value`);
    this.graph.outputs.push({ ...vi, doc: doc ?? vi.doc });
  }

  /**
   * Emit `fn`'s nodes as one composite op: autodiff differentiates the group with the rule registered
   * for `type`, using the forward values named in `saved`. The nodes themselves are ordinary ONNX.
   */
  composite(
    type: string,
    inputs: string[],
    params: Record<string, number>,
    fn: () => { outputs: string[]; saved: Record<string, string> },
  ): string[] {
    if (this.currentComposite !== undefined) throw new Error('composites cannot nest');
    const id = this.graph.composites.length;
    this.currentComposite = id;
    try {
      const { outputs, saved } = fn();
      this.graph.composites.push({ id, type, inputs, outputs, saved, params, scope: this.scopeName });
      return outputs;
    } finally {
      this.currentComposite = undefined;
    }
  }

  /** The (possibly symbolic) shape of value `name`. */
  shape(name: string): Dim[] {
    const vi = this.graph.values.get(name);
    if (!vi) throw new Error(`unknown value ${name}`);
    return vi.shape;
  }

  /** Static shape; throws when a dimension is symbolic. */
  staticShape(name: string): number[] {
    const s = this.shape(name);
    if (!s.every((d): d is number => typeof d === 'number')) {
      throw new Error(`value ${name} has a symbolic shape [${s.join(',')}] where a static one is needed`);
    }
    return s;
  }

  /** The element type of value `name`. */
  dtype(name: string): DType {
    const vi = this.graph.values.get(name);
    if (!vi) throw new Error(`unknown value ${name}`);
    return vi.dtype;
  }

  /** A model metadata entry (Netron's properties panel shows them). */
  setMetadata(key: string, value: string): void {
    this.graph.metadata.set(key, value);
  }

  /**
   * Rename value `from` to `to` everywhere: its producer's output, its consumers' inputs, the graph's
   * outputs, composites. Autodiff uses it to give a final gradient its conventional name (`X_grad`).
   * @throws Error when `from` is a graph input or initializer (their names are the graph's interface),
   *   does not exist, or `to` is taken.
   */
  renameValue(from: string, to: string): void {
    if (from === to) return;
    const vi = this.graph.values.get(from);
    if (!vi) throw new Error(`graph ${this.graph.name}: cannot rename unknown value ${from}`);
    if (this.graph.initializers.has(from) || this.graph.inputs.some((i) => i.name === from)) {
      throw new Error(`graph ${this.graph.name}: ${from} is a graph input or initializer; its name is fixed`);
    }
    this.claim(to);
    this.taken.delete(from);
    const swap = (v: string) => (v === from ? to : v);
    for (const n of this.graph.nodes) {
      n.inputs = n.inputs.map(swap);
      n.outputs = n.outputs.map(swap);
    }
    for (const c of this.graph.composites) {
      c.inputs = c.inputs.map(swap);
      c.outputs = c.outputs.map(swap);
      for (const k of Object.keys(c.saved)) c.saved[k] = swap(c.saved[k]!);
    }
    this.graph.outputs.forEach((o, i) => {
      if (o.name === from) this.graph.outputs[i] = { ...o, name: to };
    });
    this.graph.values.delete(from);
    this.graph.values.set(to, { ...vi, name: to });
  }

  /**
   * The finished graph, without the nodes whose outputs nothing reads (no later node, no graph output)
   * and without the constants only they used. Forward nodes can end up so when a backward pass does not
   * need what they saved for it (the first layer's BN inverse std when no gradient reaches below it).
   * Call it last: the builder is not to be used afterwards.
   */
  finish(): Graph {
    const g = this.graph;
    const used = new Set(g.outputs.map((o) => o.name));
    const keep = new Array<boolean>(g.nodes.length).fill(false);
    for (let k = g.nodes.length - 1; k >= 0; k--) {
      const n = g.nodes[k]!;
      if (!n.outputs.some((o) => used.has(o))) continue;
      keep[k] = true;
      for (const i of n.inputs) if (i !== '') used.add(i);
    }
    const removed = g.nodes.filter((_, k) => !keep[k]);
    if (removed.length > 0) {
      const kept = g.nodes.filter((_, k) => keep[k]);
      g.nodes.length = 0;
      g.nodes.push(...kept);
      for (const n of removed) for (const o of n.outputs) g.values.delete(o);
    }
    const inputs = new Set(g.inputs.map((i) => i.name));
    for (const name of [...g.initializers.keys()]) {
      if (!used.has(name) && !inputs.has(name)) {
        g.initializers.delete(name);
        g.constants.delete(name);
        g.opConstants.delete(name);
        g.values.delete(name);
      }
    }
    return g;
  }
}
