/** Markdown quoting that survives any text: backticks in excerpts, `*` in paths. */

/** Plain text on one line, with the characters Markdown would interpret escaped. */
export function mdText(text: string): string {
  return text
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/[\\`*[\]<>|]/g, '\\$&')
    // `_` only emphasizes at a word boundary (GFM), so snake_case names stay readable.
    .replace(/(?<!\w)_|_(?!\w)/g, '\\_')
    .replace(/^#/, '\\#');
}

const longestBacktickRun = (text: string) => Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));

/** An inline code span, fenced with more backticks than the text contains. */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block, its fence longer than any backtick run inside. */
export function mdFence(text: string, lang = ''): string[] {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return [`${fence}${lang}`, ...text.split(/\r?\n/), fence];
}
