/**
 * Whether to colour terminal output, following Node's own rules: FORCE_COLOR wins (its values
 * '', 1, 2, 3 and true force colour on, any other value turns it off), then NO_COLOR (set and
 * not empty: off, see no-color.org), then TERM=dumb, then whether stdout is a terminal.
 */
export function shouldUseColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}
