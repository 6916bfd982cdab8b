// src/util/safetensors.ts: every way a safetensors file can be broken is a SafetensorsError (a user
// error) naming the file, and the checksum covers every byte and is checked the way the file comment
// tells Python to check it.
import test from 'ava';
import { tempDir } from '../helpers/temp-dir';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  CHECKSUM_AT,
  SafeTensor,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../src/util/safetensors';

const tmp = () => tempDir('nasgrow-st-');

function sample(): Map<string, SafeTensor> {
  return new Map<string, SafeTensor>([
    ['a', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ['labels', { dtype: 'I64', shape: [2], data: BigInt64Array.from([7n, -1n]) }],
    ['scalar', { dtype: 'F32', shape: [], data: Float32Array.from([2.5]) }],
  ]);
}

/** Safetensors bytes of an arbitrary header and data section (the header length as given or true). */
function raw(header: unknown, data: Buffer, headerLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
const data = Buffer.alloc(12, 1);

test('round trip: tensors in data order, metadata, no checksum unless asked', (t) => {
  const buf = encodeSafetensors(sample(), { k: 'v' });
  const back = decodeSafetensors(buf);
  t.deepEqual([...back.tensors.keys()], ['a', 'empty', 'labels', 'scalar']);
  t.deepEqual(back.tensors, sample());
  t.deepEqual(back.metadata, { k: 'v' });
  t.false(back.checksummed);
  // the header is what JSON.stringify writes (and test/reference/nasgrow_ref.py), padded to 8 bytes
  const n = Number(buf.readBigUInt64LE(0));
  t.is((8 + n) % 8, 0);
  t.is(JSON.stringify(JSON.parse(buf.toString('utf8', 8, 8 + n))), buf.toString('utf8', 8, 8 + n).trimEnd());
});

test('the checksum sits at bytes 35..99 and is the sha256 of the file with it read as zeros', (t) => {
  const buf = encodeSafetensors(sample(), { k: 'v' }, { checksum: true });
  const stored = buf.toString('latin1', CHECKSUM_AT, CHECKSUM_AT + 64);
  t.is(CHECKSUM_AT, 35);
  t.regex(stored, /^[0-9a-f]{64}$/);
  // the Python recipe of the file comment
  const zeroed = Buffer.concat([buf.subarray(0, 35), Buffer.from('0'.repeat(64)), buf.subarray(99)]);
  t.is(createHash('sha256').update(zeroed).digest('hex'), stored);
  const back = decodeSafetensors(buf);
  t.true(back.checksummed);
  t.deepEqual(back.metadata, { sha256: stored, k: 'v' });
  t.deepEqual(back.tensors, sample());
  // re-encoding asks for a fresh checksum: the stale one in the metadata is replaced, same bytes
  t.true(encodeSafetensors(back.tensors, back.metadata, { checksum: true }).equals(buf));
});

test('a flipped bit anywhere in a checksummed file is refused, or the file no longer claims a checksum', (t) => {
  // (a flip in the key "sha256" leaves a file without one: src/models/checkpoint.ts refuses that for
  // its format, which always has one)
  const buf = encodeSafetensors(sample(), { note: 'x' }, { checksum: true });
  let unclaimed = 0;
  for (let pos = 0; pos < buf.length; pos++) {
    const bad = Buffer.from(buf);
    bad[pos] = bad[pos]! ^ (1 << pos % 8);
    try {
      const back = decodeSafetensors(bad, 'f.safetensors');
      t.false(back.checksummed, `byte ${pos}`);
      t.false('sha256' in back.metadata);
      unclaimed++;
    } catch (e) {
      t.true(e instanceof SafetensorsError, `byte ${pos}: ${e}`);
      t.true((e as Error).message.startsWith('f.safetensors: '), (e as Error).message);
    }
  }
  t.true(unclaimed <= 'sha256'.length, `${unclaimed}`);
});

const broken: Array<[string, Buffer, RegExp]> = [
  ['zero bytes', Buffer.alloc(0), /is empty \(0 bytes\)/],
  ['shorter than the length field', Buffer.from([1, 0, 0]), /too short to be safetensors \(3 bytes/],
  ['header length past the end', raw(header, data, 10_000n), /header length \(10000 bytes\) runs past the end of the file/],
  ['header length of 2^64-1', raw(header, data, 2n ** 64n - 1n), /runs past the end of the file/],
  ['header not JSON', raw('{"a": {', Buffer.alloc(0)), /header is not JSON/],
  ['header not UTF-8', raw(Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), Buffer.alloc(0)).fill(0xff, 9, 10), /header is not UTF-8/],
  ['header an array', raw([1, 2], Buffer.alloc(0)), /header is not a JSON object/],
  ['header null', raw('null', Buffer.alloc(0)), /header is not a JSON object/],
  ['metadata not strings', raw({ __metadata__: { epoch: 3 } }, Buffer.alloc(0)), /__metadata__ is not a map of strings/],
  ['entry not an object', raw({ a: 5 }, Buffer.alloc(0)), /header entry of tensor "a" is not an object/],
  ['entry without dtype', raw({ a: { shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /tensor "a" has no dtype/],
  ['entry without shape', raw({ a: { dtype: 'F32', data_offsets: [0, 4] } }, Buffer.alloc(4)), /tensor "a" has no shape/],
  ['negative dimension', raw({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /tensor "a" has no shape/],
  ['entry without offsets', raw({ a: { dtype: 'F32', shape: [1] } }, Buffer.alloc(4)), /tensor "a" has no data_offsets/],
  ['three offsets', raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, Buffer.alloc(4)), /tensor "a" has no data_offsets/],
  ['unknown dtype', raw({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)), /tensor "a" has the dtype "F16"; nasgrow reads F32 and I64/],
  ['offsets reversed', raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, Buffer.alloc(4)), /end before they begin/],
  ['shape and bytes differ', raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /shape \[3\] needs 12 bytes of F32, but its data_offsets \[0, 8\] hold 8/],
  ['tensor past the end', raw(header, data.subarray(0, 10)), /tensor "b" runs past the end of the file .*truncated/],
  ['overlapping tensors', raw({ a: header.a, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, Buffer.alloc(8)), /tensor "b" \(data_offsets \[4, 8\]\) overlaps the tensor before it/],
  ['a gap', raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, data), /data bytes 4\.\.8 before tensor "b" belong to no tensor/],
  ['appended bytes', raw(header, Buffer.concat([data, Buffer.from('junk')])), /4 bytes after the last tensor belong to no tensor/],
  ['checksum not hex', raw({ __metadata__: { sha256: 'abc' } }, Buffer.alloc(0)), /checksum \(sha256 in __metadata__\) is not 64 hex digits/],
  ['checksum elsewhere', raw({ __metadata__: { k: 'v', sha256: '0'.repeat(64) } }, Buffer.alloc(0)), /is not at the start of the header/],
];

for (const [name, bytes, message] of broken) {
  test(`broken safetensors, ${name}: a SafetensorsError naming the file`, (t) => {
    const file = path.join(tmp(), 'x.safetensors');
    fs.writeFileSync(file, bytes);
    const e = t.throws(() => readSafetensors(file), { instanceOf: SafetensorsError });
    t.true(e!.userError);
    t.true(e!.message.startsWith(`${file}: `), e!.message);
    t.regex(e!.message, message);
    t.is(e!.file, file);
  });
}

test('tensors may be listed in any order of their data (as the safetensors library writes them)', (t) => {
  const back = decodeSafetensors(raw({ b: header.b, __metadata__: { k: 'v' }, a: header.a }, data));
  t.deepEqual([...back.tensors.keys()], ['a', 'b']);
});

test('a missing file or a folder is a SafetensorsError naming it', (t) => {
  const dir = tmp();
  const missing = path.join(dir, 'nope.safetensors');
  const e = t.throws(() => readSafetensors(missing), { instanceOf: SafetensorsError });
  t.true(e!.missing);
  t.is(e!.message, `${missing}: file not found`);
  const e2 = t.throws(() => readSafetensors(dir), { instanceOf: SafetensorsError });
  t.false(e2!.missing);
  t.regex(e2!.message, /cannot be read \(EISDIR\)/);
});

test('writeSafetensors with a checksum reads back verified', (t) => {
  const file = path.join(tmp(), 'c.safetensors');
  writeSafetensors(file, sample(), { a: 'b' }, { checksum: true });
  const back = readSafetensors(file);
  t.true(back.checksummed);
  t.deepEqual(back.tensors, sample());
});
