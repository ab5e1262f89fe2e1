/**
 * Archive entry names turned into bundle paths. A tarball is untrusted input: a name that
 * could point outside the bundle (`../x`, `/etc/x`, `C:\x`) is refused rather than cleaned,
 * so a hostile archive cannot make one file pass for another.
 */

export type EntryPath = { safe: true; path: string } | { safe: false; reason: string };

/**
 * Normalises an entry name to a relative path with forward slashes: backslashes become
 * slashes, `./` prefixes, `.` segments, repeated and trailing slashes go. '' is the root.
 */
export function normaliseEntryPath(name: string): EntryPath {
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/')) return { safe: false, reason: 'absolute path' };
  if (/^[A-Za-z]:/.test(slashed)) return { safe: false, reason: 'absolute path (drive letter)' };
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { safe: false, reason: "'..' path component" };
    segments.push(segment);
  }
  return { safe: true, path: segments.join('/') };
}
