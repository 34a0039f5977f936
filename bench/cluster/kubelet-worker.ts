// The kubelet process (kubelet.ts): runs each CNI call it is sent and answers with its outcome.
import { type CniRequest, cni } from './cni.js';

process.on('message', (m: { id: number; req: CniRequest }) => {
  void cni(m.req).then((result) => process.send?.({ id: m.id, result }));
});
process.on('disconnect', () => process.exit(0));
