/**
 * The output formats of `netdump analyze --format`. The CLI derives its `--format` choices
 * from this registry, so a format added here is available there.
 */
import type { Renderer } from './render-options.js';
import { renderHuman } from './render-human.js';
import { renderJson } from './render-json.js';
import { renderMarkdown } from './render-markdown.js';

export type { Renderer, RenderOptions } from './render-options.js';

export const renderers = {
  human: renderHuman,
  json: renderJson,
  markdown: renderMarkdown,
} as const satisfies Record<string, Renderer>;

export type FormatName = keyof typeof renderers;

export const FORMAT_NAMES = Object.keys(renderers) as FormatName[];
