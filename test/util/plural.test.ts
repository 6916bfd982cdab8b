import test from 'ava';
import { plural } from '../../src/util/plural';

test('plural: the noun in the singular for 1 only, with an irregular plural when given', (t) => {
  t.is(plural(1, 'point'), '1 point');
  t.is(plural(0, 'point'), '0 points');
  t.is(plural(3, 'temporary file'), '3 temporary files');
  t.is(plural(2, 'matrix', 'matrices'), '2 matrices');
  t.is(plural(1, 'matrix', 'matrices'), '1 matrix');
});
