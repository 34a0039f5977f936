// The request log and the hooks around each request: the extension points the controller, webhook,
// scale and reliability tests use to see who called what and to inject latency and failures.
import type { UserInfo } from './auth.js';
import type { ResourceType } from './resources.js';

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  watch: boolean;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** Authenticated user; absent when the request was rejected with 401. */
  user?: UserInfo;
  /** API group ('' for core) and resource (plural) as named by the path, served or not. */
  apiGroup?: string;
  plural?: string;
  resource?: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
  /** Authorization decision (undefined: not authorized yet, or no authorization needed). */
  allowed?: boolean;
  /** HTTP status of the response (a watch: 200 once established); absent for dropped connections. */
  code?: number;
}

/** What a before-hook may do to a request: delay it, fail it with a Status, or drop the connection. */
export interface HookAction {
  delayMs?: number;
  fail?: { code: number; reason?: string; message?: string };
  drop?: boolean;
}

type Outcome = HookAction | undefined;
/** What to do with the request (undefined: handle it normally); observers use after() or onRequest. */
export type BeforeHook = (req: RequestInfo) => Outcome | Promise<Outcome>;
export type AfterHook = (req: RequestInfo) => void | Promise<void>;

export function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export const reasonFor = (code: number) => REASONS[code] ?? 'Unknown';
