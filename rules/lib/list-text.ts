/** Joins the first `max` items for a message and says how many were left out. */
export function listSome(items: readonly string[], max = 5, separator = ', '): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)} and ${items.length - max} more`;
}

/** `1 pod`, `3 pods`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** The first line of a possibly multi-line text, trimmed and cut to `max` characters. */
export function firstLine(text: string | undefined, max = 200): string {
  if (!text) return '';
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
