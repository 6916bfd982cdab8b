// src/models/checkpoint.ts: a checkpoint (or a phase state of `nasgrow run`) loads back byte for
// byte, or is refused with a CheckpointError (a user error) naming the file and what to do — a flipped
// bit, a missing or mis-shaped parameter or momentum, a truncated or empty file. Checkpoints from before
// the checksum load with a warning.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CHECKPOINT_REMEDY, CheckpointError, loadCheckpoint, saveCheckpoint } from '../../src/models/checkpoint';
import { momentumName, param } from '../../src/models/names';
import { ModelState } from '../../src/models/state';
import { sameState, smallState } from '../helpers/model-state';
import { PYTHON } from '../helpers/onnx-checker';
import { CHECKSUM_AT, encodeSafetensors, readSafetensors, SafeTensor } from '../../src/util/safetensors';
import { tempDir } from '../helpers/temp-dir';

const tmp = () => tempDir('nasgrow-ckpt-');

/** Re-encode a checkpoint's tensors and metadata after `edit`, with a fresh checksum or none. */
function rewrite(file: string, edit: (tensors: Map<string, SafeTensor>, metadata: Record<string, string>) => void, checksum = true): void {
  const { tensors, metadata } = readSafetensors(file);
  delete metadata.sha256;
  edit(tensors, metadata);
  fs.writeFileSync(file, encodeSafetensors(tensors, metadata, { checksum }));
}

function saved(): { file: string; state: ModelState } {
  const file = path.join(tmp(), 'epoch-0003.safetensors');
  const state = smallState();
  saveCheckpoint(file, state, { epoch: '3', seed: '1' });
  return { file, state };
}

function refused(t: import('ava').ExecutionContext, file: string, message: RegExp): CheckpointError {
  const e = t.throws(() => loadCheckpoint(file, { warn: () => t.fail('no warning expected') }), { instanceOf: CheckpointError })!;
  t.true(e.userError);
  t.true(e.message.includes(file), e.message);
  t.regex(e.message, message);
  return e;
}

test('a checkpoint loads back byte for byte, with the metadata it was saved with', (t) => {
  const { file, state } = saved();
  const back = loadCheckpoint(file, { warn: () => t.fail('no warning expected') });
  sameState(t, back.state, state);
  t.deepEqual(back.metadata, { epoch: '3', seed: '1' });
  const { metadata } = readSafetensors(file);
  t.is(metadata.format, 'nasgrow-checkpoint-2');
  t.regex(metadata.sha256!, /^[0-9a-f]{64}$/);
});

test('a flipped bit in a weight is detected', (t) => {
  const { file } = saved();
  const buf = fs.readFileSync(file);
  buf[buf.length - 5]! ^= 0x10; // inside the last momentum buffer
  fs.writeFileSync(file, buf);
  const e = refused(t, file, /is damaged: its content does not match its checksum/);
  t.true(e.message.startsWith(`checkpoint ${file} is damaged: `), e.message);
  t.true(e.message.endsWith(CHECKPOINT_REMEDY), e.message);
});

test('a flipped bit in the architecture (a stride 1 -> 3, same tensor shapes) is detected', (t) => {
  const { file } = saved();
  const buf = fs.readFileSync(file);
  const at = buf.indexOf('\\"stride\\":1');
  t.true(at > 0);
  buf[at + '\\"stride\\":'.length]! ^= 0x02; // '1' -> '3'
  fs.writeFileSync(file, buf);
  refused(t, file, /does not match its checksum/);
});

test('a missing momentum buffer is an error, not zeros (even with a valid checksum)', (t) => {
  const { file } = saved();
  rewrite(file, (tensors) => tensors.delete(momentumName(param.convWeight('conv3'))));
  refused(t, file, /the momentum buffer momentum\.conv3\.conv\.weight is missing/);
});

test('a missing, mis-shaped or extra tensor is an error', (t) => {
  const { file } = saved();
  rewrite(file, (tensors) => tensors.delete(param.fcBias));
  refused(t, file, /the parameter fc\.bias is missing/);

  saveCheckpoint(file, smallState(), {});
  rewrite(file, (tensors) => {
    const m = tensors.get(momentumName(param.convWeight('conv1')))!;
    tensors.set(momentumName(param.convWeight('conv1')), { ...m, shape: [m.shape[0]!, m.shape[1]!, 9] } as SafeTensor);
  });
  refused(t, file, /the momentum buffer momentum\.conv1\.conv\.weight has the shape \[2, 1, 9\], the architecture needs \[2, 1, 3, 3\]/);

  saveCheckpoint(file, smallState(), {});
  rewrite(file, (tensors) => tensors.set('stray', { dtype: 'F32', shape: [1], data: new Float32Array(1) }));
  refused(t, file, /holds tensors its architecture does not have \(stray\)/);

  saveCheckpoint(file, smallState(), {});
  rewrite(file, (tensors) => tensors.set(param.fcBias, { dtype: 'I64', shape: [3], data: new BigInt64Array(3) }));
  refused(t, file, /the parameter fc\.bias is I64, not F32/);
});

test('zero-byte and truncated checkpoints are named', (t) => {
  const { file } = saved();
  const full = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.alloc(0));
  refused(t, file, /is damaged: the file is empty \(0 bytes\)/);
  for (const len of [5, 20, CHECKSUM_AT + 10, full.length - 1]) {
    fs.writeFileSync(file, full.subarray(0, len));
    refused(t, file, /is damaged: .*truncated/);
  }
});

test('a missing checkpoint, or another safetensors file, is named with what to do', (t) => {
  const dir = tmp();
  const e = refused(t, path.join(dir, 'state.safetensors'), /does not exist;/);
  t.is(e.message, `checkpoint ${path.join(dir, 'state.safetensors')} does not exist; ${CHECKPOINT_REMEDY}`);
  const other = path.join(dir, 'other.safetensors');
  fs.writeFileSync(other, encodeSafetensors(new Map(), { arch: '{}' }));
  refused(t, other, /is not a nasgrow checkpoint/);
  fs.writeFileSync(other, encodeSafetensors(new Map(), { format: 'nasgrow-checkpoint-9' }, { checksum: true }));
  refused(t, other, /written by a newer nasgrow \(format nasgrow-checkpoint-9/);
});

test('the caller says what to do about a damaged phase state', (t) => {
  const { file } = saved();
  fs.writeFileSync(file, Buffer.alloc(0));
  const remedy = 'set "completedPhases" to 1 in progress.json and resume, or start a new run';
  const e = t.throws(() => loadCheckpoint(file, { remedy }), { instanceOf: CheckpointError })!;
  t.is(e.message, `checkpoint ${file} is damaged: the file is empty (0 bytes); ${remedy}`);
});

test('a checkpoint of the format without checksum loads with a warning, and is still checked', (t) => {
  const { file, state } = saved();
  rewrite(file, (_, metadata) => (metadata.format = 'nasgrow-checkpoint-1'), false);
  const warnings: string[] = [];
  const back = loadCheckpoint(file, { warn: (m) => warnings.push(m) });
  sameState(t, back.state, state);
  t.deepEqual(back.metadata, { epoch: '3', seed: '1' });
  t.deepEqual(warnings, [`${file} was written by an earlier nasgrow without a checksum: it is loaded unverified (damage inside it cannot be detected)`]);

  rewrite(file, (tensors) => tensors.delete(momentumName(param.fcWeight)), false);
  t.throws(() => loadCheckpoint(file, { warn: () => {} }), { instanceOf: CheckpointError, message: /momentum\.fc\.weight is missing/ });
  saveCheckpoint(file, state, {});
  rewrite(file, (_, metadata) => {
    metadata.format = 'nasgrow-checkpoint-1';
    metadata.arch = metadata.arch!.replace('"width":2', '"width":0');
  }, false);
  t.throws(() => loadCheckpoint(file, { warn: () => {} }), { instanceOf: CheckpointError, message: /its architecture is not valid \(architecture layer 0 \(conv1\) width must be a positive integer/ });
});

test('the current format without its checksum is refused', (t) => {
  const { file } = saved();
  rewrite(file, () => {}, false);
  refused(t, file, /it has no checksum \(sha256\), which every nasgrow-checkpoint-2 file has/);
});

test('saveCheckpoint keeps its own metadata keys', (t) => {
  t.throws(() => saveCheckpoint(path.join(tmp(), 'x.safetensors'), smallState(), { arch: 'x' }), { message: /may not use the key\(s\) arch/ });
});

test('Python reads a checkpoint with numpy alone and checks its checksum by the recipe of src/util/safetensors.ts', (t) => {
  const { file, state } = saved();
  const script = `
import hashlib, json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
h = raw[35:99]
ok = hashlib.sha256(raw[:35] + b'0' * 64 + raw[99:]).hexdigest() == h.decode() == header['__metadata__']['sha256']
e = header['fc.bias']
b, end = e['data_offsets']
bias = np.frombuffer(raw[8 + n + b:8 + n + end], dtype='<f4').reshape(e['shape'])
print(json.dumps({'ok': ok, 'format': header['__metadata__']['format'], 'bias': bias.tolist()}))
`;
  const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; format: string; bias: number[] };
  t.true(out.ok);
  t.is(out.format, 'nasgrow-checkpoint-2');
  t.deepEqual(out.bias, [...state.params.get(param.fcBias)!]);
});
