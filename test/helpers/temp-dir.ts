// Temporary folders of a test file, removed when its tests are done (passed or failed), so that the
// suite leaves nothing behind under the system's temporary folder (it used to leave thousands).
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const made: string[] = [];
test.after.always(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder `<os.tmpdir()>/<prefix>XXXXXX`, removed after the tests of the file that made it. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
