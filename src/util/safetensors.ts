// Tensors on disk in the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw bytes.
// Readable from Python with numpy alone, so checkpoints and PyTorch parity files share one format.
//
// Reading checks everything the format promises (as the safetensors library itself does) and throws
// SafetensorsError, a user error naming the file, for each way a file can be broken: too short, a
// header length past the end, a header that is not UTF-8 JSON or not an object, a tensor entry without
// dtype/shape/data_offsets, an unknown dtype, a shape whose byte count differs from its offsets, and
// data offsets that run past the end, overlap, leave a gap, or leave bytes after the last tensor.
//
// Checksum (written on request, verified whenever present): `sha256` in __metadata__, the SHA-256 of
// the whole file with its own 64 hex digits read as the character '0'. It covers the header too: the
// architecture and the run's metadata live there, and a flipped digit in, say, a layer's stride would
// otherwise load as a different network with every tensor intact. The encoder writes it as the
// header's first entry, so it always sits at bytes 35..99 (CHECKSUM_AT) and Python checks it with
//   raw = open(f, 'rb').read(); h = raw[35:99]
//   hashlib.sha256(raw[:35] + b'0' * 64 + raw[99:]).hexdigest() == h.decode()
// The file stays an ordinary safetensors file (numpy, the safetensors library read it as before).
import { createHash } from 'crypto';
import * as fs from 'fs';
import { writeFileAtomic } from './atomic-write';
import { FileError } from './errors';

export type SafeTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

/**
 * A safetensors file that is missing, unreadable or broken: a user error (exit 1) whose message names
 * the file and says what is wrong. `missing` marks a file that does not exist.
 */
export class SafetensorsError extends FileError {
  constructor(
    file: string,
    problem: string,
    readonly missing = false,
  ) {
    super(file, problem);
  }
}

/** The metadata key of the checksum (see the file comment). */
export const CHECKSUM_KEY = 'sha256';
const CHECKSUM_PREFIX = `{"__metadata__":{"${CHECKSUM_KEY}":"`;
/** Byte offset of the checksum's 64 hex digits in a file written with `checksum: true` (35). */
export const CHECKSUM_AT = 8 + CHECKSUM_PREFIX.length;
const CHECKSUM_HEX = 64;
const CHECKSUM_PLACEHOLDER = Buffer.from('0'.repeat(CHECKSUM_HEX), 'latin1');

const ITEM_SIZE = { F32: 4, I64: 8 } as const;

export interface EncodeOptions {
  /** write the checksum (see the file comment) as the header's first entry, replacing any in `metadata` */
  checksum?: boolean;
}

/**
 * The safetensors bytes of `tensors` (in map order) with `metadata` in the header's __metadata__ and,
 * with `options.checksum`, the checksum in front of it.
 */
export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata?: Record<string, string>, options: EncodeOptions = {}): Buffer {
  // The header is assembled by hand rather than by JSON.stringify of one object: JavaScript puts
  // integer-like keys first in an object, and the checksum must come first, at a fixed offset. For
  // ordinary names the bytes are those of JSON.stringify (and of test/reference/nasgrow_ref.py).
  const parts: string[] = [];
  let metaEntries: Array<[string, string]> | null = metadata ? Object.entries(metadata) : null;
  if (options.checksum) {
    metaEntries = [[CHECKSUM_KEY, CHECKSUM_PLACEHOLDER.toString('latin1')], ...(metaEntries ?? []).filter(([k]) => k !== CHECKSUM_KEY)];
  }
  if (metaEntries) parts.push(`"__metadata__":{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let offset = 0;
  const names = [...tensors.keys()];
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] })}`);
    offset += bytes;
  }
  let json = `{${parts.join(',')}}`;
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
  if (options.checksum) out.write(checksumOf(out), CHECKSUM_AT, 'latin1');
  return out;
}

/** The SHA-256 (hex) of `buf` with the checksum's place read as '0' digits. */
function checksumOf(buf: Buffer): string {
  return createHash('sha256')
    .update(buf.subarray(0, CHECKSUM_AT))
    .update(CHECKSUM_PLACEHOLDER)
    .update(buf.subarray(CHECKSUM_AT + CHECKSUM_HEX))
    .digest('hex');
}

/** What decodeSafetensors reads from a file. */
export interface DecodedSafetensors {
  /** the tensors in the order of their data in the file; the data are copies (aligned, owned) */
  tensors: Map<string, SafeTensor>;
  /** the header's __metadata__ (with the checksum, when the file has one) */
  metadata: Record<string, string>;
  /** whether the file carries a checksum; it matched (a wrong one throws) */
  checksummed: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The tensors and metadata of safetensors bytes, every rule of the format checked (file comment) and
 * the checksum verified when there is one.
 * @throws SafetensorsError naming `source` for each way the bytes can be broken.
 */
export function decodeSafetensors(buf: Buffer, source = 'safetensors data'): DecodedSafetensors {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, problem);
  };
  if (buf.length === 0) fail('the file is empty (0 bytes)');
  if (buf.length < 8) fail(`the file is too short to be safetensors (${buf.length} bytes; it must start with an 8-byte header length): it is truncated`);
  const headerLen = buf.readBigUInt64LE(0);
  if (headerLen > BigInt(buf.length - 8)) {
    fail(`its header length (${headerLen} bytes) runs past the end of the file (${buf.length} bytes): the file is truncated or its first 8 bytes are damaged`);
  }
  const base = 8 + Number(headerLen);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, base));
  } catch {
    fail('its header is not UTF-8 text');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`its header is not JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) fail('its header is not a JSON object of tensors');

  let metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: 'F32' | 'I64'; shape: number[]; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) fail('its __metadata__ is not a map of strings');
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    if (!isObject(entry)) fail(`the header entry of ${what} is not an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype === undefined) fail(`${what} has no dtype`);
    if (dtype !== 'F32' && dtype !== 'I64') fail(`${what} has the dtype ${JSON.stringify(dtype)}; nasgrow reads F32 and I64`);
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${what} has no shape (a list of non-negative integers)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) fail(`${what} has no data_offsets (two non-negative byte offsets)`);
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${what} has data_offsets [${begin}, ${end}] that end before they begin`);
    const t = dtype as 'F32' | 'I64';
    const bytes = (shape as number[]).reduce((a, d) => a * d, 1) * ITEM_SIZE[t];
    if (bytes !== end - begin) fail(`${what} of shape [${(shape as number[]).join(', ')}] needs ${bytes} bytes of ${t}, but its data_offsets [${begin}, ${end}] hold ${end - begin}`);
    entries.push({ name, dtype: t, shape: shape as number[], begin, end });
  }

  // The data must be covered exactly, in any order of the header: no byte twice, none left over.
  const dataLen = buf.length - base;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (const e of entries) {
    if (e.end > dataLen) fail(`tensor ${JSON.stringify(e.name)} runs past the end of the file (its data end at byte ${base + e.end}, the file has ${buf.length}): the file is truncated`);
  }
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) fail(`tensor ${JSON.stringify(e.name)} (data_offsets [${e.begin}, ${e.end}]) overlaps the tensor before it, which ends at ${pos}`);
    if (e.begin > pos) fail(`data bytes ${pos}..${e.begin} before tensor ${JSON.stringify(e.name)} belong to no tensor`);
    pos = e.end;
  }
  if (pos < dataLen) fail(`${dataLen - pos} bytes after the last tensor belong to no tensor (bytes appended to the file?)`);

  const checksummed = CHECKSUM_KEY in metadata;
  if (checksummed) {
    const stored = metadata[CHECKSUM_KEY]!;
    if (!/^[0-9a-f]{64}$/.test(stored)) fail(`its checksum (${CHECKSUM_KEY} in __metadata__) is not 64 hex digits`);
    if (base < CHECKSUM_AT + CHECKSUM_HEX || buf.toString('latin1', 8, CHECKSUM_AT) !== CHECKSUM_PREFIX || buf.toString('latin1', CHECKSUM_AT, CHECKSUM_AT + CHECKSUM_HEX) !== stored) {
      fail(`its checksum (${CHECKSUM_KEY} in __metadata__) is not at the start of the header, where nasgrow writes it: the header was rewritten`);
    }
    if (checksumOf(buf) !== stored) fail('its content does not match its checksum: the file changed after it was written (a disk, copy or transfer error, or an edit)');
  }

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const bytes = new Uint8Array(buf.subarray(base + e.begin, base + e.end)); // a copy: aligned, owned
    if (e.dtype === 'F32') tensors.set(e.name, { dtype: 'F32', shape: e.shape, data: new Float32Array(bytes.buffer) });
    else tensors.set(e.name, { dtype: 'I64', shape: e.shape, data: new BigInt64Array(bytes.buffer) });
  }
  return { tensors, metadata, checksummed };
}

/** Write a safetensors file atomically (a killed process never leaves half a checkpoint behind). */
export function writeSafetensors(path: string, tensors: Map<string, SafeTensor>, metadata?: Record<string, string>, options: EncodeOptions = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata, options));
}

/**
 * decodeSafetensors of a file.
 * @throws SafetensorsError naming the file when it does not exist (`missing`), cannot be read, or does not decode.
 */
export function readSafetensors(path: string): DecodedSafetensors {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new SafetensorsError(path, 'file not found', true);
    throw new SafetensorsError(path, `cannot be read (${err.code ?? err.message})`);
  }
  return decodeSafetensors(buf, path);
}
