// The one atomic-write helper: the new content appears whole, a typed array is written byte for byte,
// and a write that fails leaves the old content and no temporary file behind.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic, writeJsonFile } from '../../src/util/atomic-write';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-atomic-'));

test('writes text, JSON and typed arrays (their bytes, not their element count), creating the folder', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'a', 'b', 'x.bin');
  const data = Float32Array.from([1, -2.5, 3e-7]);
  writeFileAtomic(f, data);
  t.deepEqual(new Float32Array(new Uint8Array(fs.readFileSync(f)).buffer), data);
  writeJsonFile(path.join(dir, 'r.json'), { a: [1, 2] });
  t.is(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
  t.deepEqual(fs.readdirSync(dir).sort(), ['a', 'r.json']);
});

test('a failed write keeps the old content and leaves no temporary file', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'state.json');
  writeFileAtomic(f, 'old');
  // the rename over a folder fails after the temporary file was written
  const blocked = path.join(dir, 'blocked');
  fs.mkdirSync(path.join(blocked, 'inside'), { recursive: true });
  t.throws(() => writeFileAtomic(blocked, 'new'));
  t.is(fs.readFileSync(f, 'utf8'), 'old');
  t.deepEqual(fs.readdirSync(dir).sort(), ['blocked', 'state.json']);
});
