// Architecture files (a run folder's arch.json named by model.arch): empty, truncated, non-JSON or
// ill-shaped ones are ArchFileErrors (user errors) naming the file (src/config/arch-file.ts).
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { ArchFileError, loadArchFile } from '../../src/config';
import { vgg19 } from '../../src/models/arch';
import { writeJsonFile } from '../../src/util/atomic-write';
import { tempDir } from '../helpers/temp-dir';

test('arch.json empty, truncated, not JSON or ill-shaped: an ArchFileError naming it', (t) => {
  const dir = tempDir('nasgrow-arch-');
  const file = path.join(dir, 'arch.json');
  writeJsonFile(file, vgg19(4));
  t.deepEqual(loadArchFile(file), vgg19(4));
  const good = fs.readFileSync(file, 'utf8');
  const layer0 = vgg19(4).layers[0]!;
  const cases: Array<[string, RegExp]> = [
    ['', /the architecture file is empty/],
    [good.slice(0, good.length / 2), /not valid JSON .*the file is truncated or was edited by hand/],
    ['[1, 2]', /an architecture must be a JSON object/],
    [JSON.stringify({ ...vgg19(4), layers: [{ ...layer0, name: null }] }), /layers\[0\]\.name must be a string/],
    [JSON.stringify({ ...vgg19(4), layers: [{ ...layer0, stride: '1' }] }), /stride must be a positive integer/],
  ];
  for (const [content, message] of cases) {
    fs.writeFileSync(file, content);
    const e = t.throws(() => loadArchFile(file), { instanceOf: ArchFileError })!;
    t.true(e.message.startsWith(`${file}: `), e.message);
    t.regex(e.message, message);
  }
  t.throws(() => loadArchFile(path.join(dir, 'none.json')), { instanceOf: ArchFileError, message: /none\.json: cannot read the architecture file/ });
  // another file named by mistake (a config): not taken for a damaged arch.json
  const yaml = path.join(dir, 'config.yaml');
  fs.writeFileSync(yaml, '# a config\nseed: 0\n');
  t.throws(() => loadArchFile(yaml), { instanceOf: ArchFileError, message: /config\.yaml: not valid JSON .*an architecture file is JSON, like a run folder's arch\.json: name one of those$/ });
});
