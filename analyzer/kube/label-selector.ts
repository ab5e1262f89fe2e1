/**
 * Label selection as the API server and controllers do it. Two kinds of selector exist:
 *
 * - `metav1.LabelSelector` (NetworkPolicy podSelector/namespaceSelector, Deployment and
 *   DaemonSet spec.selector): `matchesLabelSelector`. Following LabelSelectorAsSelector, an
 *   absent (undefined/null) selector selects **nothing** and an empty one (`{}`) selects
 *   **everything**. A selector with an invalid requirement (unknown operator, In/NotIn without
 *   values, Exists/DoesNotExist with values) cannot be converted and selects nothing.
 *   Where an absent selector means something else (an absent namespaceSelector in a
 *   NetworkPolicy peer means "the policy's own namespace"), the caller decides before asking.
 *
 * - A Service's `spec.selector`, a plain map matched by equality: `matchesEquality`. An absent
 *   or empty map selects nothing: the endpoint controllers manage no endpoints for such a
 *   Service (the API server does not keep an empty map apart from an absent one).
 */
import type { LabelSelector, LabelSelectorRequirement, Labels } from './types.js';

/** True when `labels` satisfy a metav1.LabelSelector (see the module comment for nil/`{}`). */
export function matchesLabelSelector(labels: Labels, selector: LabelSelector | null | undefined): boolean {
  if (selector === undefined || selector === null) return false;
  const matchLabels = selector.matchLabels;
  if (matchLabels) {
    for (const key in matchLabels) {
      if (labels[key] !== matchLabels[key]) return false;
    }
  }
  const expressions = selector.matchExpressions;
  if (expressions) {
    for (const requirement of expressions) {
      if (!matchesRequirement(labels, requirement)) return false;
    }
  }
  return true;
}

/** One matchExpressions entry. An invalid requirement matches no labels at all. */
export function matchesRequirement(labels: Labels, requirement: LabelSelectorRequirement): boolean {
  const values = requirement.values ?? [];
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.operator) {
    case 'In':
      return values.length > 0 && has && values.includes(labels[requirement.key]!);
    case 'NotIn':
      // A label that is absent is "not in" any set.
      return values.length > 0 && (!has || !values.includes(labels[requirement.key]!));
    case 'Exists':
      return values.length === 0 && has;
    case 'DoesNotExist':
      return values.length === 0 && !has;
    default:
      return false;
  }
}

/** True when `labels` carry every key=value of a Service selector; absent or `{}` selects nothing. */
export function matchesEquality(labels: Labels, selector: Readonly<Record<string, string>> | null | undefined): boolean {
  if (!selector) return false;
  let empty = true;
  for (const key in selector) {
    empty = false;
    if (labels[key] !== selector[key]) return false;
  }
  return !empty;
}

/** True for a selector with no requirement at all (`{}`), which selects everything. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/**
 * A LabelSelector in kubectl's `-l` syntax, for messages: `app=cart,tier in (web,api)`,
 * `!canary`, `release`. `{}` prints as `<all>` and an absent selector as `<none>`.
 */
export function formatSelector(selector: LabelSelector | null | undefined): string {
  if (selector === undefined || selector === null) return '<none>';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const requirement of selector.matchExpressions ?? []) parts.push(formatRequirement(requirement));
  return parts.length === 0 ? '<all>' : parts.join(',');
}

function formatRequirement({ key, operator, values = [] }: LabelSelectorRequirement): string {
  switch (operator) {
    case 'In':
      return `${key} in (${values.join(',')})`;
    case 'NotIn':
      return `${key} notin (${values.join(',')})`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    default:
      return `${key} ${operator} (${values.join(',')})`;
  }
}

/**
 * Labels (or a Service selector) as `app=cart,tier=web`, usable after `kubectl -l`;
 * '' when there are none.
 */
export function formatLabels(labels: Readonly<Record<string, string>> | null | undefined): string {
  if (!labels) return '';
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
