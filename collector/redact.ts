/**
 * Finds credentials in collected text and replaces each with a marker naming its kind
 * (`<redacted:jwt>`), so a bundle can leave the customer's network. Works on any text the
 * collector stores: command outputs, JSON (kubectl, docker inspect), YAML and kubeconfigs,
 * CNI configs, logs, stderr. Redacting never breaks the syntax of JSON or YAML: a marker
 * replaces a string's content inside its quotes, or a bare value with a quoted marker.
 *
 * What it looks for, in this order (earlier kinds win: a JWT used as a bearer token counts as
 * a JWT):
 *   private-key          PEM private key blocks, also inside JSON strings (`\n` escapes), and
 *                        base64-encoded ones (kubeconfig `client-key-data`)
 *   jwt                  header.payload.signature tokens (service account tokens)
 *   url-password         the password of `scheme://user:password@host`
 *   bearer-token         `Bearer <token>`
 *   basic-auth           `Basic <base64>`
 *   aws-access-key       AKIA... / ASIA... key ids
 *   gcp-api-key          AIza... keys
 *   azure-storage-key    AccountKey= / SharedAccessKey= in connection strings
 *   azure-sas-signature  sig= of a shared access signature URL
 *   password, token, secret, api-key, aws-secret-key, private-key
 *                        values of keys that name a credential (`password=`, `"token": "..."`,
 *                        `client_secret: ...`, `--token=...`, env entries `DB_PASSWORD=...`,
 *                        and kubectl's env pairs `{"name": "DB_PASSWORD", "value": "..."}`)
 *
 * Keys that name a credential but hold a reference to one (`secretName`, `tokenFile`,
 * `passwordRef`, `*_id`, `*Path`) and values that are not secrets (true/false/null, numbers
 * in YAML flags, `${VAR}` references, paths, objects) are left alone, so the analyzer still
 * reads every Service, mount and flag.
 */

export const CREDENTIAL_KINDS = [
  'private-key',
  'jwt',
  'url-password',
  'bearer-token',
  'basic-auth',
  'aws-access-key',
  'aws-secret-key',
  'gcp-api-key',
  'azure-storage-key',
  'azure-sas-signature',
  'password',
  'token',
  'secret',
  'api-key',
] as const;

export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export type RedactionCounts = Partial<Record<CredentialKind, number>>;

export interface RedactedText {
  text: string;
  counts: RedactionCounts;
  /** Credentials replaced, all kinds together. */
  total: number;
}

export function redactionMarker(kind: CredentialKind): string {
  return `<redacted:${kind}>`;
}

const MARKER_PREFIX = '<redacted:';

class Tally {
  readonly counts: RedactionCounts = {};
  total = 0;
  add(kind: CredentialKind): string {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    this.total++;
    return redactionMarker(kind);
  }
}

/** Replaces every credential of `text`; the counts say what was replaced. */
export function redactText(text: string): RedactedText {
  const tally = new Tally();
  let out = text;
  if (out.includes('PRIVATE KEY')) out = redactPemBlocks(out, tally);
  if (out.includes('LS0tLS1CRUdJTi')) out = redactBase64Pem(out, tally);
  if (out.includes('eyJ')) out = out.replace(JWT, () => tally.add('jwt'));
  if (out.includes('://')) out = out.replace(URL_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:${tally.add('url-password')}@`);
  if (/bearer|basic/i.test(out)) out = redactAuthorization(out, tally);
  out = out.replace(AWS_ACCESS_KEY, () => tally.add('aws-access-key'));
  if (out.includes('AIza')) out = out.replace(GCP_API_KEY, () => tally.add('gcp-api-key'));
  if (/AccessKey=|AccountKey=/.test(out)) out = out.replace(AZURE_KEY, (_m, name: string) => `${name}=${tally.add('azure-storage-key')}`);
  if (out.includes('sig=')) out = out.replace(AZURE_SAS_SIGNATURE, (_m, lead: string) => `${lead}${tally.add('azure-sas-signature')}`);
  out = redactEnvPairs(out, tally);
  out = redactKeyValues(out, tally);
  return { text: out, counts: tally.counts, total: tally.total };
}

/**
 * Redacts a file's bytes. UTF-8 text is handled as text; other bytes as Latin-1, which maps
 * each byte to one character and back, so what is not a credential stays byte for byte.
 * Binary content (a NUL byte) is returned unchanged.
 */
export function redactBytes(data: Buffer): { data: Buffer; counts: RedactionCounts; total: number } {
  if (data.includes(0)) return { data, counts: {}, total: 0 };
  const encoding: BufferEncoding = isUtf8(data) ? 'utf8' : 'latin1';
  const result = redactText(data.toString(encoding));
  if (result.total === 0) return { data, counts: {}, total: 0 };
  return { data: Buffer.from(result.text, encoding), counts: result.counts, total: result.total };
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

// --- private keys ------------------------------------------------------------------------

/** A complete block, in plain text or inside a JSON string (newlines as `\n`). */
const PEM_BLOCK = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/**
 * A block cut short (a truncated file or log line): the BEGIN line and the base64 and header
 * lines after it, in plain text, YAML (indented) or a JSON string.
 */
const PEM_CUT =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:(?:\r?\n|\\r?\\n)[ \t]*(?:[A-Za-z0-9+/=]{8,}|(?:Proc-Type|DEK-Info):[^\r\n\\]*)?)*/g;

function redactPemBlocks(text: string, tally: Tally): string {
  return text.replace(PEM_BLOCK, () => tally.add('private-key')).replace(PEM_CUT, () => tally.add('private-key'));
}

/** Base64 of "-----BEGIN": a PEM block stored base64-encoded (kubeconfig `*-data`, Secrets). */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g;

function redactBase64Pem(text: string, tally: Tally): string {
  return text.replace(BASE64_PEM, (blob) => {
    const decoded = Buffer.from(blob, 'base64').toString('latin1');
    // Certificates and public keys are not secret; only private keys go.
    return decoded.includes('PRIVATE KEY') ? tally.add('private-key') : blob;
  });
}

// --- tokens and keys recognised by their shape ----------------------------------------------

const JWT = /(?:(?<=\\[nrt])|(?<![A-Za-z0-9_\-\\]))eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;

/** `scheme://user:password@`; the user name stays, it helps and is not secret. */
const URL_PASSWORD = /\b([a-zA-Z][a-zA-Z0-9+.-]{1,30}:\/\/)([^\s:/?#@"'<>\\]*):([^\s/?#@"'<>\\]+)@/g;

const AUTHORIZATION = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;

function redactAuthorization(text: string, tally: Tally): string {
  return text.replace(AUTHORIZATION, (match, scheme: string, space: string, credential: string) => {
    // Prose ("bearer token", "Basic authentication") has no digits or symbols and is short.
    if (!/[0-9\-._~+/=]/.test(credential) && credential.length < 24) return match;
    if (credential.startsWith(MARKER_PREFIX)) return match;
    return `${scheme}${space}${tally.add(scheme.toLowerCase() === 'basic' ? 'basic-auth' : 'bearer-token')}`;
  });
}

const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b/g;
const GCP_API_KEY = /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g;
const AZURE_KEY = /\b(AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,}={0,2})/g;
const AZURE_SAS_SIGNATURE = /([?&]sig=)([A-Za-z0-9%+/=]{16,})/g;

// --- values of keys that name a credential ------------------------------------------------

/** Words of a key: `AWS_SECRET_ACCESS_KEY`, `clientSecret`, `--token` → lower-case words. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

const PASSWORD_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'pw', 'pass']);
const TOKEN_WORDS = new Set(['token', 'tokens']);
const SECRET_WORDS = new Set(['secret', 'secrets', 'credential', 'credentials']);
const KEY_QUALIFIERS = new Set(['api', 'access', 'auth', 'private', 'client', 'signing', 'encryption', 'master', 'account', 'shared', 'secret']);
/** Last words that make a key a reference to a credential, or a setting about one. */
const REFERENCE_WORDS = new Set([
  'name', 'names', 'ref', 'refs', 'path', 'paths', 'file', 'files', 'dir', 'namespace', 'type', 'kind',
  'id', 'ttl', 'seconds', 'length', 'mode', 'enabled', 'expiration', 'expiry', 'expires', 'audience',
  'audiences', 'issuer', 'source', 'sources', 'mount', 'volume', 'selector', 'projection', 'format',
  'url', 'uri', 'endpoint', 'header', 'policy', 'required', 'env', 'var', 'provider',
]);

/** The credential a key names, or undefined when it names none (or a reference to one). */
export function credentialKindOfKey(key: string): CredentialKind | undefined {
  const words = keyWords(key);
  if (words.length === 0 || REFERENCE_WORDS.has(words[words.length - 1]!)) return undefined;
  const has = (set: Set<string>) => words.some((word) => set.has(word));
  const keyAfter = (qualifier: string) => words.some((word, i) => word === qualifier && words[i + 1] === 'key');
  if (words.includes('aws') && (words.includes('secret') || keyAfter('secret'))) return 'aws-secret-key';
  if (has(PASSWORD_WORDS)) return 'password';
  if (keyAfter('private')) return 'private-key';
  if (words.includes('apikey') || keyAfter('api')) return 'api-key';
  if (has(TOKEN_WORDS)) return 'token';
  if (has(SECRET_WORDS)) return 'secret';
  if ([...KEY_QUALIFIERS].some(keyAfter)) return 'secret';
  return undefined;
}

/** Values that are no secret: flags, empty values, references to variables, paths, markers. */
function isHarmlessValue(value: string): boolean {
  const text = value.trim();
  return (
    text === '' ||
    /^(?:true|false|null|nil|none|yes|no|~|\*+|[|>][-+]?)$/i.test(text) ||
    text.startsWith(MARKER_PREFIX) ||
    text.startsWith('$') ||
    text.startsWith('/') ||
    text.startsWith('{') ||
    text.startsWith('[')
  );
}

/**
 * A key candidate followed by `=` or `:`: an optional `--`, a name, its closing quote if it
 * was quoted (plain or JSON-escaped), then the separator and the value's opening quote.
 * The look-behind keeps the scan linear: a key starts only where a word starts (or after an
 * escaped newline or tab, as in YAML held in a JSON string).
 */
const KEY_VALUE = /(?:(?<=\\[nrt])|(?<![A-Za-z0-9_.\-\\]))(-{0,2})([A-Za-z][A-Za-z0-9_.-]{0,99})(\\?["'])?([ \t]*)([=:])([ \t]*)(\\?["'])?/g;

function redactKeyValues(text: string, tally: Tally): string {
  const pieces: string[] = [];
  let copied = 0;
  KEY_VALUE.lastIndex = 0;
  for (let match = KEY_VALUE.exec(text); match !== null; match = KEY_VALUE.exec(text)) {
    const [whole, , key, keyQuote, , separator, spaceAfter, valueQuote] = match as unknown as [string, string, string, string | undefined, string, string, string, string | undefined];
    const kind = credentialKindOfKey(key);
    if (!kind) continue;
    const valueStart = match.index + whole.length;
    if (separator === ':' && !keyQuote && !valueQuote) {
      // `ns/svc-token:http` (a Service port in an iptables comment) is no key: YAML and
      // headers put a space after the colon. Nor is prose ("failed to fetch token: ...").
      if (spaceAfter === '' || !startsLine(text, match.index)) continue;
    }

    let valueEnd: number;
    let replacement: string;
    if (valueQuote) {
      valueEnd = closingQuote(text, valueStart, valueQuote);
      if (valueEnd === -1 || isHarmlessValue(text.slice(valueStart, valueEnd))) continue;
      replacement = tally.add(kind);
    } else {
      const bare = /^[^\s"'\\,;&<>}\]]+/.exec(text.slice(valueStart, valueStart + 4096));
      if (!bare) continue;
      let value = bare[0];
      if (separator === ':' && !keyQuote) {
        // YAML and header values run to the end of the line (less a trailing comment).
        const line = /^[^\r\n"'\\]*/.exec(text.slice(valueStart, valueStart + 4096))![0];
        value = line.replace(/\s+#.*$/, '').trimEnd();
      }
      if (isHarmlessValue(value)) continue;
      valueEnd = valueStart + value.length;
      // A quoted JSON key with a bare value (a number): keep the document valid JSON.
      replacement = keyQuote === '"' ? `"${tally.add(kind)}"` : tally.add(kind);
    }
    pieces.push(text.slice(copied, valueStart), replacement);
    copied = valueEnd;
    KEY_VALUE.lastIndex = valueEnd;
  }
  if (copied === 0) return text;
  pieces.push(text.slice(copied));
  return pieces.join('');
}

/** Whether only indentation, a list dash, `{`, `,` or an escaped newline precede `index` on its line. */
function startsLine(text: string, index: number): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === '\n' || c === '{' || c === ',' || c === '"') return true;
    if (c === 'n' && text[i - 1] === '\\') return true;
    if (c !== ' ' && c !== '\t' && c !== '-') return false;
  }
  return true;
}

/**
 * Where the value that opened with `quote` (`"`, `'`, or the JSON-escaped `\"`) ends, on the
 * same line; -1 when it does not. Inside a plain double-quoted string, `\"` does not end it.
 */
function closingQuote(text: string, from: number, quote: string): number {
  const lineEnd = text.indexOf('\n', from);
  const limit = lineEnd === -1 ? text.length : lineEnd;
  if (quote.length === 2) {
    const end = text.indexOf(quote, from);
    return end !== -1 && end < limit ? end : -1;
  }
  for (let i = from; i < limit; i++) {
    const c = text[i];
    if (c === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (c === quote) return i;
  }
  return -1;
}

/**
 * Environment entries as kubectl prints them: the name names the credential, the value holds
 * it. `{"name": "DB_PASSWORD", "value": "hunter2"}` (JSON, any spacing) and
 * `- name: DB_PASSWORD\n  value: hunter2` (YAML).
 */
const JSON_ENV_PAIR = /("name"\s*:\s*"([^"\\\n]{1,200})"\s*,\s*"value"\s*:\s*")((?:[^"\\\n]|\\.)*)(")/g;
const YAML_ENV_PAIR = /(\bname:[ \t]*["']?([A-Za-z0-9_.-]{1,200})["']?[ \t]*\r?\n[ \t]*value:[ \t]*)(["']?)([^\r\n]*?)\3[ \t]*$/gm;

function redactEnvPairs(text: string, tally: Tally): string {
  let out = text;
  if (out.includes('"value"')) {
    out = out.replace(JSON_ENV_PAIR, (match, lead: string, name: string, value: string, close: string) => {
      const kind = credentialKindOfKey(name);
      if (!kind || value === '' || value.startsWith(MARKER_PREFIX)) return match;
      return `${lead}${tally.add(kind)}${close}`;
    });
  }
  if (out.includes('value:')) {
    out = out.replace(YAML_ENV_PAIR, (match, lead: string, name: string, quote: string, value: string) => {
      const kind = credentialKindOfKey(name);
      if (!kind || isHarmlessValue(value)) return match;
      return `${lead}${quote}${tally.add(kind)}${quote}`;
    });
  }
  return out;
}

/** Redactions of a whole bundle: what kind, which file, how many (manifest.json `redaction`). */
export interface RedactionEntry {
  /** Bundle path of the file; for a command's stderr, the path of the command's output. */
  path: string;
  /** 'output' for the file's content, 'stderr' for the command's stderr in manifest.json. */
  in: 'output' | 'stderr';
  kind: CredentialKind;
  count: number;
}

export class RedactionReport {
  private readonly entries: RedactionEntry[] = [];

  add(path: string, where: RedactionEntry['in'], counts: RedactionCounts): void {
    for (const kind of CREDENTIAL_KINDS) {
      const count = counts[kind];
      if (count) this.entries.push({ path, in: where, kind, count });
    }
  }

  get total(): number {
    return this.entries.reduce((sum, entry) => sum + entry.count, 0);
  }

  list(): RedactionEntry[] {
    return [...this.entries].sort((a, b) => a.path.localeCompare(b.path) || a.in.localeCompare(b.in) || a.kind.localeCompare(b.kind));
  }

  /** Totals per kind, for the summary line. */
  byKind(): RedactionCounts {
    const counts: RedactionCounts = {};
    for (const entry of this.entries) counts[entry.kind] = (counts[entry.kind] ?? 0) + entry.count;
    return counts;
  }
}
