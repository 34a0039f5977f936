// One node's "kubelet": a small process of its own that executes the CNI shim for that node's pods,
// as a runtime does. Spawning from the harness itself would fork its large heap for every call and
// stall the event loop that also serves the API server; a kubelet per node is also what a cluster has.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CniCall, CniRequest } from './cni.js';

const here = fileURLToPath(import.meta.url);
const worker = here.replace(/kubelet\.(ts|js)$/, 'kubelet-worker.$1');

export class Kubelet {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (r: CniCall) => void>();
  private next = 0;

  constructor() {
    this.child = fork(worker, [], {
      execArgv: here.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: { id: number; result: CniCall }) => {
      this.pending.get(m.id)?.(m.result);
      this.pending.delete(m.id);
    });
  }

  cni(req: CniRequest): Promise<CniCall> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, req });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
