/**
 * Evidence for a field of a policy object, located once and then reused. Locating a field in a
 * JSON item walks its text; a reachability matrix judges hundreds of thousands of flows against
 * the same few rules, so each (object, field) pair is located only the first time.
 */
import type { Evidence } from '../../bundle/source-file.js';
import type { ObjectSource } from '../../kube/types.js';
import type { DecidingRule, PolicyConsideration } from '../policy-types.js';

const located = new WeakMap<ObjectSource, Map<string, Evidence>>();

export function evidenceAt(source: ObjectSource, path = ''): Evidence {
  let byPath = located.get(source);
  if (!byPath) located.set(source, (byPath = new Map()));
  let evidence = byPath.get(path);
  if (!evidence) byPath.set(path, (evidence = source.at(path || undefined)));
  return evidence;
}

export function decidingRule(fields: Omit<DecidingRule, 'evidence'>, source: ObjectSource, path?: string): DecidingRule {
  return { policy: fields.policy, direction: fields.direction, ruleIndex: fields.ruleIndex, action: fields.action, evidence: evidenceAt(source, path), reason: fields.reason };
}

export function consideration(policy: string, selects: boolean, source: ObjectSource, path?: string): PolicyConsideration {
  return { policy, selects, matchedRule: null, misses: [], evidence: evidenceAt(source, path) };
}
