/**
 * Typed reads of parsed API objects. Bundles come from anywhere, so a field may be missing or
 * of the wrong type; these return `undefined` (or an empty value) instead of throwing.
 */
import type { LabelSelector, LabelSelectorRequirement, Protocol } from './types.js';

export type JsonObject = Record<string, unknown>;

const EMPTY_OBJECT: JsonObject = Object.freeze({}) as JsonObject;
const EMPTY_MAP: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** A JSON object (not an array, not null), else undefined. */
export function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A JSON object, or a shared empty one, for reading nested fields without checks. */
export function objectOrEmpty(value: unknown): JsonObject {
  return asObject(value) ?? EMPTY_OBJECT;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-empty string, else undefined (the API omits empty strings, hand-made files may not). */
export function asNonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** The strings of an array; other entries are left out. */
export function asStringArray(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const entry of value) if (typeof entry === 'string') out.push(entry);
  return out;
}

/**
 * A map of strings (labels, annotations, selectors, ConfigMap data). The parsed object itself
 * is returned when every value is a string, which is the rule, so no copy is made per object.
 * Numbers and booleans (an unquoted `version: 2` in hand-written YAML) are kept as their text
 * rather than dropped, so that a selector is never widened; other values are left out.
 */
export function asStringMap(value: unknown): Record<string, string> {
  const object = asObject(value);
  if (!object) return EMPTY_MAP;
  for (const key in object) {
    if (typeof object[key] !== 'string') return copyStrings(object);
  }
  return object as Record<string, string>;
}

function copyStrings(object: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in object) {
    const entry = object[key];
    if (typeof entry === 'string') out[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') out[key] = String(entry);
  }
  return out;
}

/** An IntOrString field (targetPort, servicePort): a number, or a name. */
export function asIntOrString(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return typeof value === 'string' ? value : undefined;
}

/** A protocol field; the API defaults an absent one to TCP. */
export function asProtocol(value: unknown): Protocol {
  return typeof value === 'string' && value !== '' ? (value as Protocol) : 'TCP';
}

/** A metav1.LabelSelector; undefined when the field is absent (which selects nothing). */
export function asLabelSelector(value: unknown): LabelSelector | undefined {
  const object = asObject(value);
  if (!object) return undefined;
  const selector: LabelSelector = {};
  if (object.matchLabels !== undefined && object.matchLabels !== null) selector.matchLabels = asStringMap(object.matchLabels);
  if (Array.isArray(object.matchExpressions)) {
    selector.matchExpressions = object.matchExpressions.map((entry): LabelSelectorRequirement => {
      const requirement = objectOrEmpty(entry);
      const out: LabelSelectorRequirement = {
        key: asString(requirement.key) ?? '',
        operator: asString(requirement.operator) ?? '',
      };
      if (Array.isArray(requirement.values)) out.values = asStringArray(requirement.values);
      return out;
    });
  }
  return selector;
}

