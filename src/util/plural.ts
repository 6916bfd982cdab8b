// Counts in messages: "1 point", "3 points".

/**
 * `n` and the noun, in the plural unless n is 1: plural(3, 'point') = "3 points".
 * `many`: the plural when it is not the noun + "s".
 */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
