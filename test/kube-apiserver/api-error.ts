// Test helper: the HTTP status and Status body of a failed @kubernetes/client-node call.
import assert from 'node:assert/strict';

export async function apiError(
  p: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: number; body: unknown };
    const body =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Record<string, unknown>)
        : (e.body as Record<string, unknown>);
    return { code: e.code, body };
  }
  assert.fail('expected the request to fail');
}
