// Host plumbing: declarative bonds, VLANs and mac-vlans (an nmstate desired-state subset).
export { type ApplyOptions, applyHostConfig, type RollbackResult, rollback } from './apply.js';
export { BOND_MODES, BOND_OPTIONS, bondModeOf } from './bond-options.js';
export { HostApplyError, HostConfigError } from './errors.js';
export { type HostConfigEntry, parseHostConfigSet, selectHostConfig } from './nodes.js';
export { parseHostConfig, validateHostConfig } from './parse.js';
export { plan } from './plan.js';
export { type Prober, pingProbe } from './probe.js';
export { readState, toNmstate } from './state.js';
export { resolveTarget, type Target } from './target.js';
export type * from './types.js';
export { diffStates, verifyDesired } from './verify.js';
