// Tensors on disk in the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw bytes.
// Readable from Python with numpy alone, so checkpoints and PyTorch parity files share one format.
import * as fs from 'fs';
import { writeFileAtomic } from './atomic-write';

export type SafeTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

/** The safetensors bytes of `tensors` (in map order) with `metadata` in the header's __metadata__. */
export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()];
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * The tensors and metadata of safetensors bytes; tensor data are copies (aligned, owned).
 * @throws Error naming `source` when the bytes are too short, the header is not JSON, a tensor runs past
 *   the end, or a dtype is not F32 or I64.
 */
export function decodeSafetensors(buf: Buffer, source = 'safetensors data'): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error(`${source}: file too short to be safetensors (${buf.length} bytes)`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new Error(`${source}: header length ${headerLen} runs past the end of the file (truncated?)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [b, end] = e.data_offsets;
    if (base + end > buf.length) throw new Error(`${source}: tensor ${name} runs past the end of the file (truncated?)`);
    const bytes = Buffer.from(buf.subarray(base + b, base + end)); // copy: aligned, owned
    if (e.dtype === 'F32') {
      tensors.set(name, { dtype: 'F32', shape: e.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) });
    } else if (e.dtype === 'I64') {
      tensors.set(name, { dtype: 'I64', shape: e.shape, data: new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8) });
    } else {
      throw new Error(`${source}: tensor ${name} has unsupported dtype ${e.dtype} (F32 and I64 are supported)`);
    }
  }
  return { tensors, metadata };
}

/** Write a safetensors file atomically (a killed process never leaves half a checkpoint behind). */
export function writeSafetensors(path: string, tensors: Map<string, SafeTensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** decodeSafetensors of a file. @throws Error when the file does not exist or does not decode. */
export function readSafetensors(path: string): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (!fs.existsSync(path)) throw new Error(`${path}: file not found`);
  return decodeSafetensors(fs.readFileSync(path), path);
}
