/**
 * The parts of an API server that cluster collection writes to or streams from, for the replay
 * API server's `extraHandlers` (or any node:http server): pods created by `kubectl debug
 * node/...`, DaemonSets created with `kubectl create -f -` (and the pods their controller
 * would start), deletions, pod lists by label, ephemeral containers (`kubectl debug <pod>`),
 * container logs, and exec over WebSocket the way kubectl 1.32 speaks it.
 *
 * Exec: kubectl opens `GET .../pods/<pod>/exec?command=...` with `Upgrade: websocket` and the
 * subprotocols v5.channel.k8s.io, v4.channel.k8s.io, ...; each binary message starts with a
 * channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status (exit code), and in v5
 * 255 closes a stream (`[255, 0]`: the client's stdin ended). The command runs on this machine
 * through `exec()` of the options (a test runs it in a network namespace), so kubectl's own
 * client code is what reads the output. With `stdin=true` (`kubectl exec -i`, how the node
 * capture sends its script) the client's channel-0 frames are the process's stdin, closed
 * when the client sends the v5 close `[255, 0]` (or goes away).
 *
 * Canned answers are sent as soon as the upgrade is done, faster than any container runtime.
 * kubectl's WebSocket executor sets up its streams alongside its reading loop and drops frames
 * that arrive first ("Unknown stream id 1, discarding message"), so now and then (about 1 exec
 * in 400 on two busy cores) such an answer reaches kubectl empty with exit 0. Real clusters
 * can do this too; the collector's kubectl runner detects the message and runs the exec again
 * (kubectl-run.ts), which is what keeps the tests on canned answers deterministic.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

type KubeObject = Record<string, any>;

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** The pod's spec.nodeName. */
  nodeName?: string;
}

/** How to run an exec: a process on this machine, or a canned answer. */
export type ExecPlan =
  | { argv: string[]; env?: NodeJS.ProcessEnv }
  | { exitCode: number; stdout?: string; stderr?: string }
  /** What the container runtime says when the executable is not in the image. */
  | { notFound: string };

export interface ReplayPodsOptions {
  /** Pods served by name (besides those created through the API), as in cluster/pods.json. */
  pods?: KubeObject[];
  /** Nodes served by name (`kubectl debug node/<n>` reads its node first). */
  nodes?: KubeObject[];
  /** Decides how each exec (and each ephemeral container's command) runs. */
  exec(request: ExecRequest): ExecPlan;
  /**
   * The phase a created pod reports when it is read; default Running (a pod is Pending only
   * in the answer to its creation). A test makes one node's pod stay Pending.
   */
  createdPodPhase?(pod: KubeObject): 'Pending' | 'Running' | 'Failed';
  /** Requests (`POST /api/v1/namespaces/x/pods`) answered 403 as RBAC would. */
  forbidden?: RegExp;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
}

export interface ReplayPods {
  request(req: IncomingMessage, res: ServerResponse): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Every request these handlers answered, in order. */
  readonly requests: RecordedRequest[];
  /** Objects as they are now, by `<namespace>/<name>`. */
  readonly pods: Map<string, KubeObject>;
  readonly daemonsets: Map<string, KubeObject>;
  /** Pods and DaemonSets as they were created through the API, deleted ones included. */
  readonly created: KubeObject[];
  /** Exec commands run, in order. */
  readonly execs: ExecRequest[];
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export function createReplayPods(options: ReplayPodsOptions): ReplayPods {
  const pods = new Map<string, KubeObject>();
  const daemonsets = new Map<string, KubeObject>();
  const nodes = new Map<string, KubeObject>();
  const created = new Set<string>();
  const createdObjects: KubeObject[] = [];
  const logs = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const execs: ExecRequest[] = [];
  for (const pod of options.pods ?? []) pods.set(`${pod.metadata.namespace}/${pod.metadata.name}`, structuredClone(pod));
  for (const node of options.nodes ?? []) nodes.set(node.metadata.name, node);
  let resourceVersion = 1000;

  function stamp(object: KubeObject, namespace: string): KubeObject {
    object.metadata ??= {};
    object.metadata.namespace = namespace;
    object.metadata.uid = randomUuid();
    object.metadata.resourceVersion = String(++resourceVersion);
    object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return object;
  }

  function createPod(pod: KubeObject, namespace: string): KubeObject {
    stamp(pod, namespace);
    pod.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] };
    const key = `${namespace}/${pod.metadata.name}`;
    pods.set(key, pod);
    created.add(key);
    createdObjects.push(structuredClone(pod));
    return pod;
  }

  /** A created pod as it reads after its creation. */
  function currentPod(key: string): KubeObject | undefined {
    const pod = pods.get(key);
    if (!pod || !created.has(key) || pod.status.phase !== 'Pending') return pod;
    const phase = options.createdPodPhase?.(pod) ?? 'Running';
    if (phase === 'Running') {
      pod.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        hostIP: '10.0.1.11',
        podIP: pod.spec.hostNetwork ? '10.0.1.11' : '10.244.1.77',
        containerStatuses: (pod.spec.containers ?? []).map((c: KubeObject) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: pod.metadata.creationTimestamp } } })),
      };
    } else if (phase === 'Failed') {
      pod.status = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' };
    } else {
      pod.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: (pod.spec.containers ?? []).map((c: KubeObject) => ({ name: c.name, image: c.image, ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } } })),
      };
    }
    return pod;
  }

  function createDaemonSet(ds: KubeObject, namespace: string): KubeObject {
    stamp(ds, namespace);
    ds.metadata.generation = 1;
    ds.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    daemonsets.set(`${namespace}/${ds.metadata.name}`, ds);
    createdObjects.push(structuredClone(ds));
    // The DaemonSet controller: one pod per node its affinity allows.
    const terms = ds.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const allowed = new Set<string>();
    for (const term of terms) for (const field of term.matchFields ?? []) if (field.key === 'metadata.name' && field.operator === 'In') for (const name of field.values) allowed.add(name);
    const targets = terms.length > 0 ? [...allowed] : [...nodes.keys()];
    for (const nodeName of targets) {
      const template = structuredClone(ds.spec.template);
      createPod(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${ds.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
            labels: { ...template.metadata?.labels, 'controller-revision-hash': '5d8f7c9b6' },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { ...template.spec, nodeName },
        },
        namespace,
      );
    }
    ds.status.desiredNumberScheduled = ds.status.currentNumberScheduled = targets.length;
    return ds;
  }

  function runEphemeral(key: string, container: KubeObject): void {
    const pod = pods.get(key)!;
    const command = [...(container.command ?? []), ...(container.args ?? [])];
    const request: ExecRequest = { namespace: pod.metadata.namespace, pod: pod.metadata.name, container: container.name, command, nodeName: pod.spec.nodeName };
    execs.push(request);
    const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    void runPlan(options.exec(request)).then(({ stdout, stderr, exitCode }) => {
      // kubectl logs gives stdout and stderr interleaved; here stderr follows stdout.
      logs.set(`${key}/${container.name}`, stdout + stderr);
      pod.status.ephemeralContainerStatuses = [
        ...(pod.status.ephemeralContainerStatuses ?? []).filter((s: KubeObject) => s.name !== container.name),
        { name: container.name, image: container.image, ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: started, finishedAt: started } } },
      ];
    });
  }

  function request(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://replay');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (options.forbidden?.test(`${method} ${path}`)) {
      requests.push({ method, path, query: url.search });
      const resource = /\/(pods|daemonsets)(?:\/[^/]+)?(?:\/(\w+))?$/.exec(path);
      const what = resource ? `${resource[1]}${resource[2] ? `/${resource[2]}` : ''}` : 'resource';
      sendStatus(res, 403, 'Forbidden', `${what} is forbidden: User "support-viewer" cannot ${method === 'POST' ? 'create' : method.toLowerCase()} resource "${what}" in API group "${path.startsWith('/apis/apps') ? 'apps' : ''}" in the namespace "${path.split('/')[4] ?? ''}"`);
      return true;
    }

    if ((match = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path)) && method === 'GET') {
      const node = nodes.get(decodeURIComponent(match[1]!));
      if (!node) return false;
      requests.push({ method, path, query: url.search });
      sendJson(res, 200, { apiVersion: 'v1', kind: 'Node', ...node });
      return true;
    }

    if ((match = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path))) {
      const namespace = decodeURIComponent(match[1]!);
      if (method === 'POST') {
        requests.push({ method, path, query: url.search });
        // kubectl's typed clients (`kubectl debug node/...`) send protobuf; `create -f` sends JSON.
        void readBody(req).then((body) => sendJson(res, 201, createPod(isProtobuf(body) ? podFromProtobuf(body) : JSON.parse(body.toString('utf8')), namespace)));
        return true;
      }
      const selector = url.searchParams.get('labelSelector');
      if (method === 'GET' && selector) {
        const wanted = parseEqualitySelector(selector);
        const ours = [...daemonsets.values()].some((ds) => ds.metadata.namespace === namespace && matchesLabels(ds.spec.selector?.matchLabels ?? {}, wanted));
        if (!ours) return false;
        requests.push({ method, path, query: url.search });
        const items = [...pods.keys()]
          .filter((key) => key.startsWith(`${namespace}/`))
          .map((key) => currentPod(key)!)
          .filter((pod) => matchesLabels(pod.metadata.labels ?? {}, wanted));
        sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(resourceVersion) }, items });
        return true;
      }
      return false;
    }

    if ((match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/(log|ephemeralcontainers))?$/.exec(path))) {
      const key = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`;
      const sub = match[3];
      if (!pods.has(key)) return false;
      requests.push({ method, path, query: url.search });
      if (sub === 'log' && method === 'GET') {
        const container = url.searchParams.get('container') ?? '';
        const text = logs.get(`${key}/${container}`);
        if (text === undefined) sendStatus(res, 400, 'BadRequest', `container "${container}" in pod "${match[2]}" is waiting to start: PodInitializing`);
        else {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(text);
        }
        return true;
      }
      if (sub === 'ephemeralcontainers' && method === 'PATCH') {
        void readJson(req).then((patch) => {
          const pod = pods.get(key)!;
          const before = new Set((pod.spec.ephemeralContainers ?? []).map((c: KubeObject) => c.name));
          const merged = new Map<string, KubeObject>((pod.spec.ephemeralContainers ?? []).map((c: KubeObject) => [c.name, c]));
          for (const container of patch.spec?.ephemeralContainers ?? []) merged.set(container.name, container);
          pod.spec.ephemeralContainers = [...merged.values()];
          pod.metadata.resourceVersion = String(++resourceVersion);
          for (const container of pod.spec.ephemeralContainers) if (!before.has(container.name)) runEphemeral(key, container);
          sendJson(res, 200, { apiVersion: 'v1', kind: 'Pod', ...pod });
        });
        return true;
      }
      if (sub === undefined && method === 'GET') {
        // A single object carries its kind (list items do not, as from a real API server).
        sendJson(res, 200, { apiVersion: 'v1', kind: 'Pod', ...currentPod(key) });
        return true;
      }
      if (sub === undefined && method === 'DELETE') {
        const pod = pods.get(key)!;
        pods.delete(key);
        sendJson(res, 200, pod);
        return true;
      }
      sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported here`);
      return true;
    }

    if ((match = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets(?:\/([^/]+))?$/.exec(path))) {
      const namespace = decodeURIComponent(match[1]!);
      const name = match[2] ? decodeURIComponent(match[2]) : undefined;
      if (name === undefined && method === 'POST') {
        requests.push({ method, path, query: url.search });
        void readJson(req).then((ds) => {
          if (daemonsets.has(`${namespace}/${ds.metadata?.name}`)) sendStatus(res, 409, 'AlreadyExists', `daemonsets.apps "${ds.metadata.name}" already exists`);
          else sendJson(res, 201, createDaemonSet(ds, namespace));
        });
        return true;
      }
      if (name === undefined) return false;
      const key = `${namespace}/${name}`;
      if (!daemonsets.has(key)) {
        if (method !== 'DELETE') return false;
        requests.push({ method, path, query: url.search });
        sendStatus(res, 404, 'NotFound', `daemonsets.apps "${name}" not found`);
        return true;
      }
      requests.push({ method, path, query: url.search });
      if (method === 'GET') sendJson(res, 200, daemonsets.get(key));
      else if (method === 'DELETE') {
        const ds = daemonsets.get(key)!;
        daemonsets.delete(key);
        // Garbage collection of its pods (kubectl's default cascade is background).
        for (const [podKey, pod] of pods) if (pod.metadata.ownerReferences?.some((o: KubeObject) => o.uid === ds.metadata.uid)) pods.delete(podKey);
        sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'apps', kind: 'daemonsets', uid: ds.metadata.uid } });
      } else sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported here`);
      return true;
    }
    return false;
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://replay');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!match) return false;
    const key = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`;
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
    const pod = pods.get(key);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const protocol = CHANNEL_PROTOCOLS.find((p) => offered.includes(p));
    const wsKey = req.headers['sec-websocket-key'];
    if (!pod || !protocol || typeof wsKey !== 'string') {
      const reason = !pod ? `pods "${match[2]}" not found` : 'unsupported exec protocol';
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: reason, reason: 'NotFound', code: !pod ? 404 : 400 });
      socket.end(`HTTP/1.1 ${!pod ? '404 Not Found' : '400 Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return true;
    }
    const accept = createHash('sha1').update(wsKey + WS_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);

    const command = url.searchParams.getAll('command');
    const container = url.searchParams.get('container') ?? pod.spec.containers?.[0]?.name ?? '';
    const exec: ExecRequest = { namespace: pod.metadata.namespace, pod: pod.metadata.name, container, command, nodeName: pod.spec.nodeName };
    execs.push(exec);
    const withStdin = url.searchParams.get('stdin') === 'true';
    const channel = new WebSocketChannels(socket, head);
    void runPlan(options.exec(exec), {
      stdin: withStdin ? channel.stdin : undefined,
      onStdout: (data) => channel.send(1, data),
      onStderr: (data) => channel.send(2, data),
      abort: channel.closed,
    }).then(({ exitCode, error }) => {
      const status =
        error !== undefined
          ? { metadata: {}, status: 'Failure', message: error, reason: 'InternalError', details: { causes: [{ message: error }] }, code: 500 }
          : exitCode === 0
            ? { metadata: {}, status: 'Success' }
            : {
                metadata: {},
                status: 'Failure',
                message: `command terminated with non-zero exit code: error executing command [${command.join(' ').slice(0, 200)}], exit code ${exitCode}`,
                reason: 'NonZeroExitCode',
                details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
              };
      channel.send(3, Buffer.from(JSON.stringify(status)));
      channel.close();
    });
    return true;
  }

  return { request, upgrade, requests, pods, daemonsets, created: createdObjects, execs };
}

interface PlanIo {
  stdin?: AsyncIterable<Buffer> | undefined;
  onStdout?(data: Buffer): void;
  onStderr?(data: Buffer): void;
  abort?: Promise<void>;
}

interface PlanResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The runtime could not start the command (an exec status, not an exit code). */
  error?: string;
}

async function runPlan(plan: ExecPlan, io: PlanIo = {}): Promise<PlanResult> {
  if ('notFound' in plan) {
    const error = `Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "${randomBytes(32).toString('hex')}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${plan.notFound}": executable file not found in $PATH: unknown`;
    return { stdout: '', stderr: `${error}\n`, exitCode: 128, error };
  }
  if ('exitCode' in plan) {
    if (plan.stdout) io.onStdout?.(Buffer.from(plan.stdout));
    if (plan.stderr) io.onStderr?.(Buffer.from(plan.stderr));
    return { stdout: plan.stdout ?? '', stderr: plan.stderr ?? '', exitCode: plan.exitCode };
  }
  const child = spawn(plan.argv[0]!, plan.argv.slice(1), { env: plan.env ?? process.env, stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (data: Buffer) => {
    out.push(data);
    io.onStdout?.(data);
  });
  child.stderr!.on('data', (data: Buffer) => {
    err.push(data);
    io.onStderr?.(data);
  });
  if (io.stdin && child.stdin) {
    const stdin = child.stdin;
    stdin.on('error', () => {});
    void (async () => {
      for await (const chunk of io.stdin!) stdin.write(chunk);
      stdin.end();
    })();
  }
  // The client went away (kubectl was interrupted): the command is stopped, as the kubelet does.
  void io.abort?.then(() => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ stdout: '', stderr: `${error.message}\n`, exitCode: 127 }));
    child.on('close', (code, signal) => resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? (signal ? 137 : 1) }));
  });
}

/** RFC 6455 framing on an upgraded socket, for the channel.k8s.io subprotocols. */
class WebSocketChannels {
  private buffer: Buffer;
  private fragments: Buffer[] = [];
  private open = true;
  private readonly stdinChunks: Buffer[] = [];
  private stdinEnded = false;
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    this.buffer = Buffer.from(head);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.readFrames();
    });
    const gone = () => {
      this.open = false;
      this.endStdin();
      this.markClosed();
    };
    socket.on('close', gone);
    socket.on('error', gone);
    if (head.length > 0) this.readFrames();
  }

  get stdin(): AsyncIterable<Buffer> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (self.stdinChunks.length > 0) yield self.stdinChunks.shift()!;
          if (self.stdinEnded) return;
          await new Promise<void>((resolve) => (self.wake = resolve));
        }
      },
    };
  }

  send(channel: number, data: Buffer): void {
    this.writeFrame(0x2, Buffer.concat([Buffer.from([channel]), data]));
  }

  close(): void {
    // Normal closure; the client answers with its own close frame, then the socket ends.
    this.writeFrame(0x8, Buffer.from([0x03, 0xe8]));
    this.socket.end();
  }

  private endStdin(): void {
    this.stdinEnded = true;
    this.wake?.();
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    if (!this.open) return;
    let header: Buffer;
    if (payload.length < 126) header = Buffer.from([0x80 | opcode, payload.length]);
    else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  private readFrames(): void {
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0]! & 0x80) !== 0;
      const opcode = this.buffer[0]! & 0x0f;
      const masked = (this.buffer[1]! & 0x80) !== 0;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.buffer.length < offset + length) return;
      const payload = Buffer.from(this.buffer.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= this.buffer[maskOffset + (i % 4)]!;
      this.buffer = this.buffer.subarray(offset + length);
      this.onFrame(fin, opcode, payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x9) return this.writeFrame(0xa, payload); // ping: kubectl's heartbeat
    if (opcode === 0xa) return;
    if (opcode === 0x8) {
      this.endStdin();
      this.open = false;
      this.socket.end();
      return;
    }
    this.fragments.push(payload);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    if (message.length === 0) return;
    const channel = message[0];
    if (channel === 0 && message.length > 1) {
      this.stdinChunks.push(message.subarray(1));
      this.wake?.();
    } else if (channel === 255 && message[1] === 0) this.endStdin();
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<KubeObject> {
  return JSON.parse((await readBody(req)).toString('utf8')) as KubeObject;
}

/** The `k8s\0` magic of Kubernetes' protobuf envelope (runtime.Unknown). */
function isProtobuf(body: Buffer): boolean {
  return body.length > 4 && body.subarray(0, 4).equals(Buffer.from([0x6b, 0x38, 0x73, 0x00]));
}

type ProtoFields = Map<number, (bigint | Buffer)[]>;

/** One protobuf message's fields by number: varints as bigint, length-delimited as bytes. */
function protoFields(buf: Buffer): ProtoFields {
  const fields: ProtoFields = new Map();
  let offset = 0;
  const varint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[offset++]!;
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (offset < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      value = buf.subarray(offset, offset + length);
      offset += length;
    } else if (wire === 1) {
      value = buf.subarray(offset, offset + 8);
      offset += 8;
    } else if (wire === 5) {
      value = buf.subarray(offset, offset + 4);
      offset += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const str = (f: ProtoFields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) && v.length > 0 ? v.toString('utf8') : undefined;
};
const strs = (f: ProtoFields, n: number): string[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((v) => v.toString('utf8'));
const bool = (f: ProtoFields, n: number): boolean | undefined => {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? v !== 0n : undefined;
};
const messages = (f: ProtoFields, n: number): ProtoFields[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map(protoFields);

/**
 * The fields of a v1 Pod that these handlers read, from its protobuf form (field numbers of
 * k8s.io/api/core/v1/generated.proto): metadata name/labels; spec volumes (hostPath),
 * containers (name, image, command, args, volumeMounts, privileged), restartPolicy, nodeName,
 * hostNetwork/PID/IPC, tolerations.
 */
function podFromProtobuf(body: Buffer): KubeObject {
  const unknown = protoFields(body.subarray(4));
  const pod = protoFields(unknown.get(2)![0] as Buffer);
  const meta = messages(pod, 1)[0] ?? new Map();
  const spec = messages(pod, 2)[0] ?? new Map();
  const labels = Object.fromEntries(messages(meta, 11).map((entry) => [str(entry, 1) ?? '', str(entry, 2) ?? '']));
  const container = (c: ProtoFields): KubeObject => ({
    name: str(c, 1),
    image: str(c, 2),
    ...(c.has(3) ? { command: strs(c, 3) } : {}),
    ...(c.has(4) ? { args: strs(c, 4) } : {}),
    volumeMounts: messages(c, 9).map((m) => ({ name: str(m, 1), readOnly: bool(m, 2) ?? false, mountPath: str(m, 3) })),
    securityContext: { privileged: bool(messages(c, 15)[0] ?? new Map(), 2) ?? false },
    stdin: bool(c, 16) ?? false,
    tty: bool(c, 18) ?? false,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: str(meta, 1), ...(str(meta, 2) ? { generateName: str(meta, 2) } : {}), ...(Object.keys(labels).length > 0 ? { labels } : {}) },
    spec: {
      volumes: messages(spec, 1).map((v) => {
        const hostPath = messages(messages(v, 2)[0] ?? new Map(), 1)[0];
        return { name: str(v, 1), ...(hostPath ? { hostPath: { path: str(hostPath, 1) } } : {}) };
      }),
      containers: messages(spec, 2).map(container),
      restartPolicy: str(spec, 3),
      nodeName: str(spec, 10),
      hostNetwork: bool(spec, 11) ?? false,
      hostPID: bool(spec, 12) ?? false,
      hostIPC: bool(spec, 13) ?? false,
      tolerations: messages(spec, 22).map((t) => ({ ...(str(t, 1) ? { key: str(t, 1) } : {}), operator: str(t, 2), ...(str(t, 4) ? { effect: str(t, 4) } : {}) })),
    },
  };
}

/** `a=b,c=d` (the form these handlers are asked for). */
function parseEqualitySelector(selector: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of selector.split(',')) {
    const [key, value] = part.split(/==?/);
    if (key && value !== undefined) labels[key.trim()] = value.trim();
  }
  return labels;
}

function matchesLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  const keys = Object.keys(wanted);
  return keys.length > 0 && keys.every((key) => labels[key] === wanted[key]);
}

function randomUuid(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
