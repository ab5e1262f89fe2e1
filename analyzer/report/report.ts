/**
 * The JSON report of ../shared/report-format.md (netdump-report/v1). Fields may be added;
 * none named in the contract may be removed or change meaning.
 */
import type { Evidence } from '../bundle/source-file.js';

export const REPORT_FORMAT = 'netdump-report/v1';

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export type Layer = 'node' | 'l2' | 'l3' | 'service' | 'dns' | 'policy' | 'ingress' | 'cni' | 'bundle';
export const LAYERS: readonly Layer[] = ['node', 'l2', 'l3', 'service', 'dns', 'policy', 'ingress', 'cni', 'bundle'];

export interface Finding {
  /** F1, F2... in report order. */
  id: string;
  rule: string;
  severity: Severity;
  layer: Layer;
  title: string;
  message: string;
  /** `Kind/namespace/name`, `Kind/name` (cluster-scoped) or `Host/<name>`. */
  subjects: string[];
  evidence: Evidence[];
  remediation: string;
  /** Commands that help confirm or fix it (advice as data). */
  commands?: string[];
  rootCause: boolean;
  /** Ids of the findings that explain this one. */
  causedBy: string[];
  /** Ids of the findings this one explains (the inverse of causedBy). */
  causes?: string[];
  /** Rule-specific structured details for scripts. */
  data?: Record<string, unknown>;
}

export type CoverageStatus = 'checked' | 'not-collected' | 'partial' | 'error' | 'skipped';

export interface CoverageEntry {
  area: string;
  status: CoverageStatus;
  detail: string;
  /** The rule this entry is about. */
  rule?: string;
}

export interface ReportProblem {
  /** What failed: a rule id, or a stage ('model'). */
  where: string;
  message: string;
  stack?: string;
}

export interface Report {
  format: typeof REPORT_FORMAT;
  bundle: {
    path: string;
    createdAt?: string;
    context?: string;
    nodes: number;
    format?: string;
  };
  summary: { critical: number; warning: number; info: number; rootCauses: number };
  findings: Finding[];
  coverage: CoverageEntry[];
  /** Internal problems (a rule that threw); the rest of the analysis still ran. */
  problems: ReportProblem[];
  tool: { name: 'netdump'; version: string };
}
