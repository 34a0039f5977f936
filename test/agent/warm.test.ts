// The start-up snapshots are built after a warm-up that runs made-up calls (src/cni/warm.ts and each
// plugin's warm.ts) so that their code is compiled in the blob. Those calls must leave nothing behind:
// a blob holds the heap as it was at the end of the build, and whatever a warm-up left there would be
// in every call's process. The warm-up call's identity is joined at run time, so it is in a blob only
// if something kept it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { warmCall } from '../../src/cni/warm.js';
import { DIST } from '../helpers/paths.js';

const TYPES = ['trunkline', 'trunkline-macvlan', 'trunkline-ipam', 'trunkline-coordinator'];

describe('start-up snapshot warm-up', () => {
  const { id } = warmCall('ADD', {});

  it('the warm-up call names itself with a string no bundle holds as a constant', () => {
    for (const t of TYPES) {
      const bundle = readFileSync(join(DIST, 'plugins', `${t}.js`), 'latin1');
      assert.ok(!bundle.includes(id), `${t}.js contains "${id}"`);
    }
  });

  it('no blob keeps anything of the warm-up call', () => {
    for (const t of TYPES) {
      const blob = readFileSync(join(DIST, 'plugins', `${t}.blob`));
      for (const enc of ['latin1', 'utf16le'] as const) {
        const at = blob.indexOf(Buffer.from(id, enc));
        assert.equal(at, -1, `${t}.blob holds the warm-up's "${id}" (${enc}) at byte ${at}`);
      }
    }
  });
});
