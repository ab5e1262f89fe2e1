/**
 * Finds the bundle root inside an archive: the folder holding `manifest.json`, `cluster/` or
 * `nodes/`. Tarballs often wrap everything in one dated top folder; the shallowest match
 * wins so that a `nodes/` folder deeper in the tree (a pod namespace named "nodes") cannot
 * shadow the real root.
 *
 * Without any of those, a single top folder wrapping everything is taken as the root.
 *
 * `paths` are normalised entry paths; a folder known only from a directory entry is given
 * with a trailing slash. Returns '' (the archive itself) or a folder path without slash.
 */
export function findBundleRoot(paths: Iterable<string>): string {
  let best: string[] | undefined;
  let bestKey = '';
  let firstFolder: string | undefined;
  let singleWrappingFolder = true;

  for (const path of paths) {
    const segments = path.split('/');
    if (segments.length < 2) singleWrappingFolder = false;
    else if (firstFolder === undefined) firstFolder = segments[0];
    else if (segments[0] !== firstFolder) singleWrappingFolder = false;

    const limit = best === undefined ? segments.length : Math.min(segments.length, best.length + 1);
    for (let i = 0; i < limit; i++) {
      const segment = segments[i];
      const isLast = i === segments.length - 1;
      const marks =
        (segment === 'manifest.json' && isLast) || ((segment === 'cluster' || segment === 'nodes') && !isLast);
      if (!marks) continue;
      const candidate = segments.slice(0, i);
      const key = candidate.join('/');
      if (best === undefined || candidate.length < best.length || (candidate.length === best.length && key < bestKey)) {
        best = candidate;
        bestKey = key;
      }
      break;
    }
  }

  if (best !== undefined) return bestKey;
  // A bundle holding only logs/ (say) is not wrapped in a folder called "logs".
  const wrapped = singleWrappingFolder && firstFolder !== undefined && !LAYOUT_FOLDERS.has(firstFolder);
  return wrapped ? firstFolder! : '';
}

/** Top-level folders of bundle-format.md besides the root markers. */
const LAYOUT_FOLDERS = new Set(['logs', 'pods', 'metrics', 'hubble', 'probes']);
