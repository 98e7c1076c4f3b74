// Nesting depth of JSON text, measured before JSON.parse. V8's JSON.parse is
// iterative and takes any depth, but the application code that walks the
// result afterwards (a recursive clone, a logger, JSON.stringify) is not:
// 100k nested arrays from the network would crash it. Checking the text is
// cheaper than walking the parsed value, and is skipped entirely when the text
// is too short to nest that deep (every level costs at least one character).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text in `text` from `start` nests arrays and objects more
 * than `maxDepth` levels deep. Brackets inside strings do not count. For text
 * that is not valid JSON the answer is only an estimate; JSON.parse rejects
 * such text anyway.
 */
export function exceedsDepth(text: string, start: number, maxDepth: number): boolean {
  const n = text.length;
  if (n - start <= maxDepth) return false;
  let depth = 0;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i + 1);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string whose content starts at `from` (or the text's length). */
function endOfString(text: string, from: number): number {
  for (;;) {
    const q = text.indexOf('"', from);
    if (q === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return q;
    from = q + 1;
  }
}
