/**
 * Problems met while reading a bundle or parsing one of its files. They are values, collected
 * and reported (rule `bundle-parse-error`), never thrown: one bad file must not hide the rest.
 */
export type ParseIssueCode =
  // archive level
  | 'TRUNCATED_ARCHIVE'
  | 'CORRUPT_ARCHIVE'
  | 'UNSAFE_PATH'
  | 'LINK_IGNORED'
  | 'SPECIAL_FILE_IGNORED'
  | 'FILE_TOO_LARGE'
  | 'TOTAL_SIZE_EXCEEDED'
  | 'TOO_MANY_ENTRIES'
  | 'NOT_TEXT'
  | 'DUPLICATE_ENTRY'
  // manifest
  | 'BAD_MANIFEST'
  | 'UNKNOWN_FORMAT_VERSION'
  // file content
  | 'INVALID_JSON'
  | 'INVALID_YAML'
  | 'UNEXPECTED_SHAPE'
  | 'BAD_LINE'
  | 'UNKNOWN_DIRECTIVE'
  | 'UNSUPPORTED_MATCH'
  | 'UNSUPPORTED_FEATURE';

export interface ParseIssue {
  code: ParseIssueCode;
  /** Bundle-relative path of the file concerned ('' for the archive itself). */
  file: string;
  /** 1-based line; 0 when the problem is not tied to a line (a whole file, the archive). */
  line: number;
  message: string;
  /** The offending line's text, when there is one. */
  text?: string;
  /** `error`: content was lost; `warning`: read, but with doubt. Default error. */
  severity?: 'error' | 'warning';
}

/** What every parser returns: a value (partial on bad input) and the problems met. */
export interface ParseResult<T> {
  value: T;
  issues: ParseIssue[];
}
