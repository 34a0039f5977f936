// Host configuration errors. Messages name the interface and the field, and say what was expected.
import { CniError, Code } from '../cni/errors.js';
import type { ApplyReport } from './types.js';

export class HostConfigError extends CniError {
  constructor(
    readonly iface: string,
    readonly field: string,
    msg: string,
    options?: { cause?: unknown },
  ) {
    super(Code.InvalidConfig, `interface ${iface}: ${field}: ${msg}`, undefined, options);
    this.name = 'HostConfigError';
  }
}

/** Apply failed; `report.rolledBack` says whether the previous state was restored. */
export class HostApplyError extends CniError {
  constructor(
    msg: string,
    readonly report: ApplyReport & { rollbackComplete: boolean; rollbackErrors: string[] },
    options?: { cause?: unknown },
  ) {
    super(Code.IoFailure, msg, undefined, options);
    this.name = 'HostApplyError';
  }
}
