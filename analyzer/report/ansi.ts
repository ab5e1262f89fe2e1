/**
 * The few terminal styles the human report uses. Disabled styles are the identity, so a
 * renderer calls them unconditionally and the caller decides whether colour is wanted.
 */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

const style = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const COLORED: Palette = {
  bold: style(1, 22),
  dim: style(2, 22),
  red: style(31, 39),
  yellow: style(33, 39),
  cyan: style(36, 39),
  green: style(32, 39),
};

const identity = (text: string) => text;
const PLAIN: Palette = { bold: identity, dim: identity, red: identity, yellow: identity, cyan: identity, green: identity };

export function createPalette(color: boolean): Palette {
  return color ? COLORED : PLAIN;
}
