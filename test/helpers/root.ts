// The repository root, from a compiled test file at dist/test/<dir>/<file>.js.
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..', '..');
