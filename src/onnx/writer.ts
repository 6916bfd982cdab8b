// Serialise a Graph to an ONNX ModelProto (opset 17, IR version 8, the newest that Debian's onnx 1.12
// checker judges). Deterministic: fields are filled in a fixed order and nothing depends on time or
// randomness, so the same graph gives the same bytes.
import { onnx } from 'onnx-proto';
import { writeFileAtomic } from '../util/atomic-write';
import { Graph, TensorData, ValueInfo, AttrValue, DType, Dim } from './ir';

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

/** The ONNX GraphProto of `g`: nodes, initializers, inputs, outputs and value_info for every other value. */
export function graphProto(g: Graph): onnx.IGraphProto {
  const io = new Set([...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.initializers.keys()]);
  const valueInfo: onnx.IValueInfoProto[] = [];
  for (const n of g.nodes) {
    for (const o of n.outputs) if (!io.has(o)) valueInfo.push(valueInfoProto(g.values.get(o)!));
  }
  return {
    name: g.name,
    docString: g.doc || undefined,
    node: g.nodes.map((n) => {
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
    }),
    initializer: [...g.initializers.entries()].map(([name, t]) => tensorProto(name, t)),
    input: g.inputs.map(valueInfoProto),
    output: g.outputs.map(valueInfoProto),
    valueInfo,
  };
}

/**
 * `g` serialised as an ONNX ModelProto (opset 17, IR 8), with its doc string and metadata; the same
 * graph always gives the same bytes.
 * @throws Error when the proto does not verify (a bug in the builder).
 */
export function modelBytes(g: Graph): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    // ONNX's opset, and version 1 of each other domain a node uses (ORT's contrib ops)
    opsetImport: [{ domain: '', version: OPSET }, ...[...new Set(g.nodes.map((n) => n.domain ?? '').filter((d) => d !== ''))].sort().map((domain) => ({ domain, version: 1 }))],
    producerName: PRODUCER,
    producerVersion: PRODUCER_VERSION,
    docString: g.doc || undefined,
    graph: graphProto(g),
    metadataProps: [...g.metadata.entries()].map(([key, value]) => ({ key, value })),
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`graph ${g.name}: invalid model proto: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Serialise `g` into `file` atomically (the folder is created when missing). */
export function writeModel(g: Graph, file: string): void {
  writeFileAtomic(file, modelBytes(g));
}
