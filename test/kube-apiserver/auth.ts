// Bearer-token authentication: every identity gets its own token (one per component or replica),
// service accounts get the username and groups the real token authenticator gives them.
import { randomBytes } from 'node:crypto';

export interface UserInfo {
  username: string;
  groups: string[];
  /** As the real authenticators fill it, e.g. a bound token's authentication.kubernetes.io/pod-name. */
  extra?: Record<string, string[]>;
}

export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';

export const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** A service account's user; with `pod`, as the bound token of that pod (one per replica) names it. */
export function serviceAccountUser(namespace: string, name: string, pod?: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    ...(pod !== undefined ? { extra: { [POD_NAME_EXTRA]: [pod] } } : {}),
  };
}

export class Authenticator {
  private readonly tokens = new Map<string, UserInfo>();

  /** A new token for `user` (any number of tokens may name the same user). */
  issue(user: UserInfo, token = randomBytes(24).toString('base64url')): string {
    const groups = user.groups.includes('system:authenticated')
      ? user.groups
      : [...user.groups, 'system:authenticated'];
    this.tokens.set(token, { username: user.username, groups, ...(user.extra ? { extra: user.extra } : {}) });
    return token;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The user of an Authorization header; undefined when missing or unknown (→ 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? this.tokens.get(m[1]!) : undefined;
  }
}
