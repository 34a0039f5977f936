// The cluster-source contract on the local manifest source.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSource } from '../../../src/cluster/local/source.js';
import { clusterSourceContract } from '../contract.js';

clusterSourceContract('local manifests', async (objects) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-contract-'));
  const manifestDir = join(dir, 'manifests');
  mkdirSync(manifestDir);
  writeFileSync(
    join(manifestDir, 'all.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
  return {
    source: new LocalSource({ manifestDir, stateDir: join(dir, 'state') }),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
