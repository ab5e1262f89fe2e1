import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../analyzer/cli/package-root.js';

describe('findPackageRoot', () => {
  it("finds netdump's package.json from a module deep inside the package", () => {
    const root = findPackageRoot(import.meta.url);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('netdump');
    // The layout of a build: dist/analyzer/cli/commands/rules.js has no package.json of its own.
    expect(findPackageRoot(pathToFileURL(join(root, 'dist/analyzer/cli/commands/rules.js')).href)).toBe(root);
  });
});
