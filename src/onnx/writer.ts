// Serialise a Graph to an ONNX ModelProto (opset 17, IR version 8, the newest that Debian's onnx 1.12
// checker judges). Deterministic: fields are filled in a fixed order and nothing depends on time or
// randomness, so the same graph gives the same bytes.
import { onnx } from 'onnx-proto';
import { writeFileAtomic } from '../util/atomic-write';
import { Graph, Node, TensorData, ValueInfo, AttrValue, DType, Dim } from './ir';

export const OPSET = 17;
export const IR_VERSION = 8;
export const PRODUCER = 'nasgrow';
export const PRODUCER_VERSION = '0.1.0';

function tensorProto(name: string, t: TensorData): onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: t.shape, dataType: t.dtype, rawData: bytes };
}

function typeProto(dtype: DType, shape: Dim[]): onnx.ITypeProto {
  return {
    tensorType: {
      elemType: dtype,
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

function valueInfoProto(vi: ValueInfo): onnx.IValueInfoProto {
  const p: onnx.IValueInfoProto = { name: vi.name, type: typeProto(vi.dtype, vi.shape) };
  if (vi.doc) p.docString = vi.doc;
  return p;
}

function attributeProto(name: string, a: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto('', a.value) };
  }
}

/** How a graph is written. */
export interface WriteOptions {
  /**
   * Group the nodes that carry a layer and a part (Node.layer, Node.part) into one ONNX model-local
   * function per pair, domain FUNCTION_DOMAIN, named `<layer>.<part>`: the top level then holds one
   * call per layer part, in the order of the network, and Netron draws each as one node that opens
   * into its body. ONNX Runtime inlines the functions when it loads the model, so the computation is
   * the same; the graphs nasgrow runs are written flat.
   */
  functions?: boolean;
}

/** Operator-set domain of the functions a grouped graph defines (version 1). */
export const FUNCTION_DOMAIN = 'nasgrow';

function nodeProto(n: Node): onnx.INodeProto {
  const p: onnx.INodeProto = {
    name: n.name,
    opType: n.opType,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs,
    attribute: [...n.attrs.entries()].map(([k, v]) => attributeProto(k, v)),
  };
  if (n.doc) p.docString = n.doc;
  return p;
}

/** Opset imports for nodes of `domains`: ONNX's at OPSET, version 1 of every other (sorted). */
function opsetImports(domains: Iterable<string>): onnx.IOperatorSetIdProto[] {
  const others = [...new Set(domains)].filter((d) => d !== '').sort();
  return [{ domain: '', version: OPSET }, ...others.map((domain) => ({ domain, version: 1 }))];
}

/** A unit of the top level: one node that carries no part, or every node of one layer part. */
interface Unit {
  nodes: Node[];
  /** the function's layer and part; undefined for a lone node */
  layer?: string;
  part?: string;
}

/** The units of `g` in an order where each comes after the units whose values it reads. */
function topLevelUnits(g: Graph): Unit[] {
  const units: Unit[] = [];
  const byKey = new Map<string, Unit>();
  g.nodes.forEach((n) => {
    if (n.layer === undefined || n.part === undefined) {
      units.push({ nodes: [n] });
      return;
    }
    const key = `${n.layer}.${n.part}`;
    const u = byKey.get(key);
    if (u) u.nodes.push(n);
    else {
      const fresh: Unit = { nodes: [n], layer: n.layer, part: n.part };
      byKey.set(key, fresh);
      units.push(fresh);
    }
  });
  const producer = new Map<string, number>();
  units.forEach((u, i) => u.nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, i))));
  const deps = units.map((u, i) => new Set(u.nodes.flatMap((n) => n.inputs).map((v) => producer.get(v)).filter((p): p is number => p !== undefined && p !== i)));
  // Kahn's algorithm, taking the ready unit whose first node comes first (units are in that order):
  // the network's order.
  const done = new Array<boolean>(units.length).fill(false);
  const order: Unit[] = [];
  while (order.length < units.length) {
    const next = units.findIndex((_, i) => !done[i] && [...deps[i]!].every((d) => done[d]));
    if (next < 0) {
      const stuck = units.filter((_, i) => !done[i]).map((u) => (u.layer !== undefined ? `${u.layer}.${u.part}` : u.nodes[0]!.name));
      throw new Error(`graph ${g.name}: its layer parts read each other's values in a cycle (${stuck.slice(0, 8).join(', ')}); they cannot be functions`);
    }
    done[next] = true;
    order.push(units[next]!);
  }
  return order;
}

/** Constants of the computation up to this many elements are copied into each function that reads
 *  them (shapes, axes, scalars); larger ones (im2col's one-hot kernels, C·81 floats) stay one shared
 *  initializer that the functions take as an input, so a wide network's file does not grow by a copy
 *  per layer. */
const INLINE_CONSTANT_LIMIT = 1024;

const numel = (t: TensorData) => t.shape.reduce((a, b) => a * b, 1);

/** "Conv, Relu, Mul ×3": the op types of `nodes` by first appearance, with counts. */
function opSummary(nodes: Node[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  return [...counts.entries()].map(([op, c]) => (c > 1 ? `${op} ×${c}` : op)).join(', ');
}

/**
 * The top-level nodes and the functions of `g` grouped by layer part (WriteOptions.functions). A
 * function's inputs are the values its nodes read from outside (in order of first use), its outputs
 * the values it makes that anything outside reads or the graph outputs (in order of making); the
 * small constants of the computation it reads become Constant nodes of its body (functions have no
 * initializers), and leave the top level when only functions read them.
 */
function groupedNodes(g: Graph): { nodes: onnx.INodeProto[]; functions: onnx.IFunctionProto[]; initializers: string[] } {
  const units = topLevelUnits(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const readers = new Map<string, Set<Unit>>();
  for (const u of units) for (const n of u.nodes) for (const i of n.inputs) if (i !== '') (readers.get(i) ?? readers.set(i, new Set()).get(i)!).add(u);
  const topReads = new Set<string>();
  const nodes: onnx.INodeProto[] = [];
  const functions: onnx.IFunctionProto[] = [];
  for (const u of units) {
    if (u.layer === undefined) {
      nodes.push(nodeProto(u.nodes[0]!));
      for (const i of u.nodes[0]!.inputs) topReads.add(i);
      continue;
    }
    const made = new Set(u.nodes.flatMap((n) => n.outputs));
    const inputs: string[] = [];
    const constants: string[] = [];
    for (const n of u.nodes) {
      for (const i of n.inputs) {
        if (i === '' || made.has(i) || inputs.includes(i) || constants.includes(i)) continue;
        if (g.opConstants.has(i) && numel(g.initializers.get(i)!) <= INLINE_CONSTANT_LIMIT) constants.push(i);
        else inputs.push(i);
      }
    }
    const outputs = u.nodes.flatMap((n) => n.outputs).filter((o) => graphOutputs.has(o) || [...(readers.get(o) ?? [])].some((r) => r !== u));
    const name = `${u.layer}.${u.part}`;
    functions.push({
      name,
      domain: FUNCTION_DOMAIN,
      input: inputs,
      output: outputs,
      node: [
        ...constants.map((c) => ({ name: c, opType: 'Constant', domain: '', input: [], output: [c], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: tensorProto('', g.initializers.get(c)!) }] })),
        ...u.nodes.map(nodeProto),
      ],
      opsetImport: opsetImports(u.nodes.map((n) => n.domain ?? '')),
      docString: `${u.layer} ${u.part}: ${u.nodes.length} nodes (${opSummary(u.nodes)})`,
    });
    nodes.push({ name: `${u.layer}/${u.part}`, opType: name, domain: FUNCTION_DOMAIN, input: inputs, output: outputs });
    for (const i of inputs) topReads.add(i);
  }
  const initializers = [...g.initializers.keys()].filter((k) => !g.opConstants.has(k) || topReads.has(k));
  return { nodes, functions, initializers };
}

/**
 * The ONNX GraphProto of `g`: nodes (with WriteOptions.functions, one call per layer part, whose
 * functions are returned beside it), initializers, inputs, outputs and value_info for every other
 * value the top level shows.
 */
function graphProto(g: Graph, opts: WriteOptions = {}): { graph: onnx.IGraphProto; functions: onnx.IFunctionProto[] } {
  const grouped = opts.functions ? groupedNodes(g) : null;
  const nodes = grouped?.nodes ?? g.nodes.map(nodeProto);
  const io = new Set([...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.initializers.keys()]);
  const valueInfo: onnx.IValueInfoProto[] = [];
  for (const n of nodes) {
    for (const o of n.output!) if (!io.has(o)) valueInfo.push(valueInfoProto(g.values.get(o)!));
  }
  const initializers = grouped?.initializers ?? [...g.initializers.keys()];
  const doc = grouped ? [g.doc, FUNCTIONS_DOC].filter((d) => d).join('\n') : g.doc;
  return {
    graph: {
      name: g.name,
      docString: doc || undefined,
      node: nodes,
      initializer: initializers.map((name) => tensorProto(name, g.initializers.get(name)!)),
      input: g.inputs.map(valueInfoProto),
      output: g.outputs.map(valueInfoProto),
      valueInfo,
    },
    functions: grouped?.functions ?? [],
  };
}

const FUNCTIONS_DOC = `Each top-level node is one part of a layer (<layer>.forward, .backward, ...): a function of domain ${FUNCTION_DOMAIN} that opens into its nodes.`;

/**
 * `g` serialised as an ONNX ModelProto (opset 17, IR 8), with its doc string and metadata; with
 * `opts.functions`, its layer parts as model-local functions (WriteOptions). The same graph and
 * options always give the same bytes.
 * @throws Error when the proto does not verify (a bug in the builder), or when the layer parts to be
 *   grouped read each other's values in a cycle.
 */
export function modelBytes(g: Graph, opts: WriteOptions = {}): Uint8Array {
  const { graph, functions } = graphProto(g, opts);
  const domains = [...(graph.node ?? []).map((n) => n.domain ?? ''), ...functions.flatMap((f) => (f.node ?? []).map((n) => n.domain ?? ''))];
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    // ONNX's opset, and version 1 of each other domain a node uses (ORT's contrib ops, our functions)
    opsetImport: opsetImports(domains),
    producerName: PRODUCER,
    producerVersion: PRODUCER_VERSION,
    docString: graph.docString || undefined,
    graph,
    metadataProps: [...g.metadata.entries()].map(([key, value]) => ({ key, value })),
  };
  if (functions.length) model.functions = functions;
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`graph ${g.name}: invalid model proto: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Serialise `g` into `file` atomically (the folder is created when missing), written as `opts` says. */
export function writeModel(g: Graph, file: string, opts: WriteOptions = {}): void {
  writeFileAtomic(file, modelBytes(g, opts));
}
