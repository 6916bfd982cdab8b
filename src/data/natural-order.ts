// Orders for names in image folders (src/data/image-tree.ts, scripts/make-sample.ts): the order decides
// which image is example i, so it must be the same on every machine.

// ICU's collation with numeric ordering: runs of digits compare by value, so '2.jpg' comes before
// '10.jpg' and zero-padded names ('0002.jpg') keep their obvious order. The locale is pinned ('en')
// rather than taken from the environment, so LANG does not change the order. (The collation data is
// the ICU that node bundles; for ASCII names it has not changed between ICU versions.)
const collator = new Intl.Collator('en', { numeric: true });

/**
 * Natural order for file names inside a class folder: Intl.Collator('en', { numeric: true }), then,
 * for names it ranks equal ('01.jpg' and '1.jpg', or a precomposed 'é' and 'e' + combining accent),
 * code-unit order, so distinct names never compare equal and the sort does not depend on the input
 * order. Returns < 0, 0 (only for identical strings) or > 0.
 */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || codeUnitCompare(a, b);
}

/** Plain code-unit order, for class folder names (what Python's sorted() gives for ASCII names). */
export function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
