/** The usage error for rule ids that do not exist, naming the ones that do. */
export function describeUnknownRules(unknown: readonly string[], knownIds: readonly string[]): string {
  const which = unknown.length === 1 ? `unknown rule id '${unknown[0]}'` : `unknown rule ids ${unknown.map((id) => `'${id}'`).join(', ')}`;
  return `error: ${which}. Known rules: ${knownIds.join(', ')} (see: netdump rules)`;
}
