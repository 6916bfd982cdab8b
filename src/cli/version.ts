// nasgrow's version, from package.json.
import * as fs from 'fs';
import * as path from 'path';

/** The version in nasgrow's package.json ('unknown' when it cannot be read). */
export function nasgrowVersion(): string {
  // src/cli/version.ts sits three levels below the package root and dist/src/cli/version.js four: look
  // upwards for the nearest package.json.
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
      } catch {
        return 'unknown';
      }
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}
