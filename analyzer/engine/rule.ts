/**
 * A rule: metadata plus one `check` that reads the model and reports findings (style.md).
 * Rules are independent of each other; they name possible causes (`causedBy`) as
 * (rule, subject) pairs, and the engine links them to the findings that exist.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { CoverageStatus, Layer, Severity } from '../report/report.js';
import type { AnalysisModel } from './analysis-model.js';
import type { InputSpec } from './inputs.js';

/** "This finding would be explained by a finding of `rule` about `subject`." */
export interface CauseRef {
  rule: string;
  subject: string;
  /**
   * Further subjects the cause must also name: a finding about (node-b, Service cart) is
   * explained by the finding about the same node and Service, not by every finding about node-b.
   */
  alsoAbout?: string[];
}

export interface FindingDraft {
  subjects: string[];
  title: string;
  message: string;
  /** The primary location first; at least one entry. */
  evidence: Evidence[];
  remediation: string;
  commands?: string[];
  /** Overrides the rule's default severity for this finding. */
  severity?: Severity;
  causedBy?: CauseRef[];
  data?: Record<string, unknown>;
}

export interface RuleContext {
  model: AnalysisModel;
  /** Namespaces the user narrowed the run to (`--namespace`); undefined means all. */
  namespaces: ReadonlySet<string> | undefined;
  /** True when `namespace` is in scope. Cluster-scoped things ('' namespace) always are. */
  inScope(namespace: string): boolean;
  report(finding: FindingDraft): void;
  /**
   * Say how much was checked ("3 of 3 nodes"), or that only part of the input was there.
   * `optionalUnused`: the rule read none of its optional inputs (it had nothing to check), so
   * the detail does not go on to name the absent ones.
   */
  setCoverage(status: CoverageStatus, detail: string, options?: { optionalUnused?: boolean }): void;
}

export interface Rule {
  id: string;
  layer: Layer;
  severity: Severity;
  /** One line, for `netdump rules`. */
  description: string;
  /** Coverage area label ("Services and endpoints"). */
  area: string;
  /** Inputs without which the rule cannot decide anything. */
  requires: InputSpec[];
  /** Inputs that sharpen the rule when present (named in coverage when absent). */
  optional?: InputSpec[];
  check(ctx: RuleContext): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
