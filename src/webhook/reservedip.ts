// SpiderReservedIP: the IPAM's own rules (ipVersion 4 or 6, entries addresses or ranges of it).
import type { SpiderReservedIP } from '../cluster/types.js';
import { formatIssue, validateReservedIP } from '../ipam/validate.js';
import type { KindHandler } from './review.js';

export const reservedip: KindHandler = {
  async validate(req) {
    if (req.operation === 'DELETE') return [];
    return validateReservedIP(req.object as unknown as SpiderReservedIP).map((i) =>
      formatIssue(i).replace(/^SpiderReservedIP "[^"]*": /, ''),
    );
  },
};
