// loadConf: the whole meta config is validated before any side effect (see src/multus/config.ts).
import type { CniEnv, NetConf } from '../../cni/types.js';
import { loadMultusConf } from '../../multus/config.js';
import type { MetaConf } from './types.js';

export function loadConf(raw: NetConf, _env: CniEnv): MetaConf {
  return loadMultusConf(raw);
}
