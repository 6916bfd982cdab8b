// Small pieces: natural file-name order (Intl.Collator with code-unit tie-breaks), limit selection,
// and the decode cache file format.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { codeUnitCompare, naturalCompare } from '../../src/data/natural-order';
import { limitIndices } from '../../src/data/limit';
import { cacheFilePath, readDecodeCache, writeDecodeCache } from '../../src/data/decode-cache';
import { Dataset, selectExamples } from '../../src/data/dataset';
import { tempDir } from './fixtures';

test('natural order: numbers by value, then the collator, then code units for names it ranks equal', (t) => {
  const names = ['10.jpg', '2.jpg', '0001.jpg', '1.jpg', 'b1.png', 'a10.png', 'a9.png', '01.jpg', '99999999999999999999.jpg', '100000000000000000000.jpg'];
  // '1.jpg', '01.jpg' and '0001.jpg' are equal to the collator (same number): code-unit order breaks the tie.
  t.deepEqual([...names].sort(naturalCompare), [
    '0001.jpg', '01.jpg', '1.jpg', '2.jpg', '10.jpg', '99999999999999999999.jpg', '100000000000000000000.jpg', 'a9.png', 'a10.png', 'b1.png',
  ]);
  const padded = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(4, '0')}.jpg`);
  t.deepEqual([...padded].reverse().sort(naturalCompare), padded);
  // Letters alphabetically, lower case before upper case of the same letter (not code-unit order, where
  // every capital comes first).
  t.deepEqual(['b.jpg', 'B.jpg', 'A.jpg', 'a.jpg', 'a2.jpg', 'A10.jpg'].sort(naturalCompare), ['a.jpg', 'A.jpg', 'a2.jpg', 'A10.jpg', 'b.jpg', 'B.jpg']);
  // Canonically equivalent names (precomposed e-acute, and e + combining acute) are distinct files that
  // the collator ranks equal: code units decide ('e' 0x65 before 'é' 0xe9).
  const composed = '\u00e9.jpg';
  const decomposed = 'e\u0301.jpg';
  t.deepEqual([composed, decomposed].sort(naturalCompare), [decomposed, composed]);
  // Distinct names never compare equal, the order is antisymmetric, and the result does not depend on
  // the input order.
  const all = [...names, 'b.jpg', 'B.jpg', 'A.jpg', 'a.jpg', composed, decomposed, '1.png', '1.jpeg', 'a_1.png', 'a 1.png'];
  for (const a of all) {
    for (const b of all) {
      if (a !== b) t.not(naturalCompare(a, b), 0, `${a} vs ${b}`);
      t.is(Math.sign(naturalCompare(a, b)), -Math.sign(naturalCompare(b, a)) || 0, `${a} vs ${b}`);
    }
  }
  t.deepEqual([...all].sort(naturalCompare), [...all].reverse().sort(naturalCompare));
  t.deepEqual(['b', 'B', 'a', 'A_x'].sort(codeUnitCompare), ['A_x', 'B', 'a', 'b']);
});

test('limitIndices: stratified rounds over classes, first takes a prefix, n >= total keeps all', (t) => {
  const labels = [2, 2, 2, 0, 0, 1, 2, 1, 0];
  // Round 1 takes 3 (class 0), 5 (class 1), 0 (class 2); round 2 takes 4 (class 0), 7 (class 1).
  t.deepEqual(Array.from(limitIndices(labels, 3, 5)), [0, 3, 4, 5, 7]);
  t.deepEqual(Array.from(limitIndices(labels, 3, 5, 'first')), [0, 1, 2, 3, 4]);
  t.deepEqual(Array.from(limitIndices(labels, 3, 100)), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  t.deepEqual(Array.from(limitIndices(labels, 3, 0)), []);
  t.throws(() => limitIndices(labels, 3, -1), { message: /non-negative integer/ });
});

function tiny(labels: Uint8Array | Uint16Array, classes: number): Dataset {
  const n = labels.length;
  return { name: 'tiny', images: Uint8Array.from({ length: n * 12 }, (_, i) => i), labels, n, shape: [3, 2, 2], classes, classNames: Array.from({ length: classes }, (_, i) => `c${i}`), source: 'mem' };
}

test('decode cache round trip (8- and 16-bit labels); other keys and damaged files miss', (t) => {
  const dir = tempDir(t);
  for (const ds of [tiny(Uint8Array.from([1, 0, 2]), 3), tiny(Uint16Array.from([300, 0, 299]), 301)]) {
    const file = cacheFilePath(dir, 'tiny-train', `key-${ds.classes}`);
    writeDecodeCache(file, `key-${ds.classes}`, ds);
    const back = readDecodeCache(file, `key-${ds.classes}`)!;
    t.truthy(back);
    t.deepEqual(Array.from(back.images), Array.from(ds.images));
    t.deepEqual(Array.from(back.labels), Array.from(ds.labels));
    t.is(back.labels.BYTES_PER_ELEMENT, ds.labels.BYTES_PER_ELEMENT);
    t.deepEqual({ ...back, images: null, labels: null }, { ...ds, images: null, labels: null });
    t.is(readDecodeCache(file, 'other key'), null);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    t.is(readDecodeCache(file, `key-${ds.classes}`), null);
    fs.writeFileSync(file, Buffer.from('garbage'));
    t.is(readDecodeCache(file, `key-${ds.classes}`), null);
  }
  t.is(readDecodeCache(path.join(dir, 'absent'), 'k'), null);
  t.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('selectExamples copies the chosen examples in order', (t) => {
  const ds = tiny(Uint8Array.from([0, 1, 2]), 3);
  const sub = selectExamples(ds, [2, 0]);
  t.is(sub.n, 2);
  t.deepEqual(Array.from(sub.labels), [2, 0]);
  t.deepEqual(Array.from(sub.images), [...Array.from(ds.images.subarray(24, 36)), ...Array.from(ds.images.subarray(0, 12))]);
});
