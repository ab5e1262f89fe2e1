/**
 * The last step of every collection (`--local` and cluster mode): the redacted entries, the
 * manifest first, go into the bundle, or, with `--anonymize`, their anonymized copy does
 * (anonymizeEntries over every file, manifest.json included) and the mapping file that turns
 * pseudonyms back is written beside the bundle, readable by its owner only. The mapping file
 * and the key never go into the bundle.
 */
import { defaultMapPath, pseudonymCounts, writeAnonymizationMap, type PseudonymCounts } from './anonymize/anonymization-map.js';
import { anonymizeEntries } from './anonymize/anonymize-entries.js';
import { writeBundle, type BundleEntry, type WrittenBundle } from './write-bundle.js';

/** Where the mapping file went, and how many namespace/node/pod names, addresses and MAC addresses got pseudonyms. */
export interface CollectionAnonymization extends Pick<PseudonymCounts, 'names' | 'addresses' | 'macs'> {
  /** The mapping file (`<bundle>.map.json`, mode 0600): it stays with the customer. */
  mapPath: string;
}

export interface WrittenCollection {
  bundle: WrittenBundle;
  anonymization?: CollectionAnonymization;
}

export async function writeCollection(
  output: string,
  entries: readonly BundleEntry[],
  options: { mtime: Date; anonymizeKey?: Buffer | undefined },
): Promise<WrittenCollection> {
  if (!options.anonymizeKey) return { bundle: await writeBundle(output, entries, { mtime: options.mtime }) };
  const { entries: anonymized, map } = anonymizeEntries(entries, options.anonymizeKey);
  const bundle = await writeBundle(output, anonymized, { mtime: options.mtime });
  const mapPath = defaultMapPath(bundle.path);
  await writeAnonymizationMap(mapPath, map);
  const { names, addresses, macs } = pseudonymCounts(map);
  return { bundle, anonymization: { mapPath, names, addresses, macs } };
}
