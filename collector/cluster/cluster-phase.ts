/**
 * The seam between cluster mode's parts: the orchestrator (collect-cluster.ts) reads the API
 * objects through kubectl, then hands them to the phases that reach into nodes and pods
 * (node capture through `kubectl debug` or a DaemonSet, per-pod captures, CNI agent outputs).
 * Each phase returns files and manifest items; only the orchestrator redacts and writes.
 */
import type { ManifestItemDocument } from '../manifest-document.js';
import type { Progress } from '../progress.js';
import type { BundleEntry } from '../write-bundle.js';

/** How to call the user's kubectl: the binary and the flags every call carries. */
export interface KubectlTarget {
  /** `kubectl`, or a path. */
  binary: string;
  /** `--kubeconfig <file>`, `--context <name>`: placed before every subcommand. */
  globalArgs: readonly string[];
}

export interface KubectlCallOptions {
  /** Written to kubectl's stdin, which is then closed. */
  stdin?: string | Buffer;
  /** Kills kubectl after this long; the result says `timedOut`. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface KubectlResult {
  /** The command line as recorded in the manifest (`kubectl get pods -A -o json`). */
  command: string;
  /** Null when kubectl was killed (timeout, interrupt) or could not start. */
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  interrupted: boolean;
  /** kubectl itself is missing or not executable. */
  notFound: boolean;
}

/** Runs `kubectl <globalArgs> <args>`; never throws for a failing command. */
export type KubectlRun = (args: readonly string[], options?: KubectlCallOptions) => Promise<KubectlResult>;

/** Kubernetes objects as kubectl printed them (parsed JSON `items`). */
export type KubeObject = Record<string, any>;

export interface ClusterPhaseContext {
  kubectl: KubectlRun;
  target: KubectlTarget;
  /** Per command. */
  timeoutSeconds: number;
  /** Epoch milliseconds after which nothing new is started (`--timeout-total`). */
  deadline: number;
  /** At most this many kubectl calls or node captures at once. */
  concurrency: number;
  signal?: AbortSignal;
  progress?: Progress;
  /** Objects the orchestrator already read (empty when their list failed). */
  objects: {
    nodes: KubeObject[];
    pods: KubeObject[];
    daemonsets: KubeObject[];
  };
  /** `-n/--namespace`: the namespaces in focus; empty means all. */
  focusNamespaces: readonly string[];
}

export interface PhaseOutput {
  /** Not yet redacted: the orchestrator redacts every file and stderr before writing. */
  files: BundleEntry[];
  items: ManifestItemDocument[];
  /** What went wrong with the phase itself (not with one command). */
  problems: string[];
  /** Nodes that have a nodes/<node>/ folder. */
  nodes?: string[];
}
