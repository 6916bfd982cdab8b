// The one rule for directory entries that are not data, used by both scanners of image trees
// (src/data/image-tree.ts: real folders and .tar / .tar.gz members), so a tree loads the same whether
// it was copied as a folder or packed. Such entries appear whenever a tree has passed through macOS
// (.DS_Store in every folder; AppleDouble '._name' files holding a resource fork, which end in '.png'
// too and are not images; '__MACOSX/' at the top of archives made by Finder), Windows (Thumbs.db,
// desktop.ini) or Jupyter (.ipynb_checkpoints/). Left in, they become extra classes, "cannot decode"
// errors, or a second image tree inside an archive.

/** Names of OS and tool leftovers that do not start with '.', compared in lower case (Windows is case-insensitive). */
const LEFTOVERS = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', '__macosx', '$recycle.bin', 'system volume information']);

/**
 * True when a file or folder name is not data and is skipped wherever it appears inside an image
 * tree (as a split folder, class folder or file): hidden names (starting with '.', which covers
 * .DS_Store, .ipynb_checkpoints, .git and AppleDouble '._name' files) and the leftovers above.
 */
export function isNotData(name: string): boolean {
  return name.startsWith('.') || LEFTOVERS.has(name.toLowerCase());
}

/** True when any component of a '/'-separated path inside an image tree is not data (see isNotData). */
export function pathHasNotData(parts: readonly string[]): boolean {
  return parts.some(isNotData);
}
