import type { Report } from './report.js';

export interface RenderOptions {
  /** Emit ANSI colours; the caller decides (TTY, NO_COLOR, FORCE_COLOR). */
  color: boolean;
}

/** A renderer is a pure function from a report to the text written out, ending in a newline. */
export type Renderer = (report: Report, options: RenderOptions) => string;
