/** The broker's error codes (API.md "Errors"); branch on `code`, never on the description. */
export type BrokerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'reauthorization_required'
  | 'conflict'
  | 'revoked'
  | 'payload_too_large'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'server_error';

/** What a broker error answer carries besides its code. */
export interface BrokerErrorInit {
  status: number;
  description: string;
  /** Seconds to wait before trying again (`Retry-After`), when the broker said. */
  retryAfter?: number | undefined;
  /** `X-Request-Id`: quote it when reporting a problem, the broker logs under it. */
  requestId?: string | undefined;
  /** The body's `connection_id` (a 409 `reauthorization_required` names the connection to reconnect). */
  connectionId?: string | undefined;
}

/**
 * An answer the broker made itself with `{error, error_description}`; one subclass per
 * code, so `instanceof` and `code` both narrow.
 *
 * @example
 * try {
 *   await broker.getToken(id);
 * } catch (e) {
 *   if (e instanceof BrokerError && e.code === 'reauthorization_required') reconnect(e.connectionId);
 *   else throw e;
 * }
 */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly code: BrokerErrorCode;
  readonly status: number;
  readonly description: string;
  readonly retryAfter: number | undefined;
  readonly requestId: string | undefined;
  readonly connectionId: string | undefined;

  constructor(code: BrokerErrorCode, init: BrokerErrorInit) {
    super(`${init.status} ${code}: ${init.description}`);
    this.code = code;
    this.status = init.status;
    this.description = init.description;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.connectionId = init.connectionId;
  }
}

/** Declares one subclass whose `code` is fixed (and typed as the literal). */
const subclass = <C extends BrokerErrorCode>(code: C, name: string) =>
  class extends BrokerError {
    declare readonly code: C;
    override name = name;
    constructor(init: BrokerErrorInit) {
      super(code, init);
    }
  };

/** 400: a malformed body, query or path value (a proxy path leaving `api_base_url` too). @example e instanceof InvalidRequestError */
export class InvalidRequestError extends subclass('invalid_request', 'InvalidRequestError') {}
/** 401: a missing, unknown or expired credential. @example e instanceof InvalidTokenError */
export class InvalidTokenError extends subclass('invalid_token', 'InvalidTokenError') {}
/** 403: the service's policy does not cover this provider. @example e instanceof InsufficientScopeError */
export class InsufficientScopeError extends subclass(
  'insufficient_scope',
  'InsufficientScopeError',
) {}
/** 404: no such connection, or one outside the service's access. @example e instanceof NotFoundError */
export class NotFoundError extends subclass('not_found', 'NotFoundError') {}
/** 405: a known path, a wrong method. @example e instanceof MethodNotAllowedError */
export class MethodNotAllowedError extends subclass(
  'method_not_allowed',
  'MethodNotAllowedError',
) {}
/** 409: the user must consent again; `connectionId` names the connection to reconnect. @example e instanceof ReauthorizationRequiredError */
export class ReauthorizationRequiredError extends subclass(
  'reauthorization_required',
  'ReauthorizationRequiredError',
) {}
/** 409: creating something that exists. @example e instanceof ConflictError */
export class ConflictError extends subclass('conflict', 'ConflictError') {}
/** 410: the connection was revoked. @example e instanceof RevokedError */
export class RevokedError extends subclass('revoked', 'RevokedError') {}
/** 413: the body is over the limit. @example e instanceof PayloadTooLargeError */
export class PayloadTooLargeError extends subclass('payload_too_large', 'PayloadTooLargeError') {}
/** 429: over a rate limit, or the provider's quota is spent; see `retryAfter`. @example e instanceof RateLimitedError */
export class RateLimitedError extends subclass('rate_limited', 'RateLimitedError') {}
/** 502/503/504: the provider failed and no valid token is on hand; see `retryAfter`. @example e instanceof UpstreamUnavailableError */
export class UpstreamUnavailableError extends subclass(
  'upstream_unavailable',
  'UpstreamUnavailableError',
) {}
/** 5xx: the broker failed; quote `requestId`. Also any answer that is not a broker error body. @example e instanceof ServerError */
export class ServerError extends subclass('server_error', 'ServerError') {}

const CLASSES: Record<BrokerErrorCode, new (init: BrokerErrorInit) => BrokerError> = {
  invalid_request: InvalidRequestError,
  invalid_token: InvalidTokenError,
  insufficient_scope: InsufficientScopeError,
  not_found: NotFoundError,
  method_not_allowed: MethodNotAllowedError,
  reauthorization_required: ReauthorizationRequiredError,
  conflict: ConflictError,
  revoked: RevokedError,
  payload_too_large: PayloadTooLargeError,
  rate_limited: RateLimitedError,
  upstream_unavailable: UpstreamUnavailableError,
  server_error: ServerError,
};

const isCode = (value: unknown): value is BrokerErrorCode =>
  typeof value === 'string' && Object.hasOwn(CLASSES, value);

/** `Retry-After` in seconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The typed error of one non-2xx broker answer and its parsed body (anything that is
 * not `{error, error_description}` with a known code becomes a {@link ServerError}).
 *
 * @example
 * const res = await fetch(url);
 * if (!res.ok) throw brokerErrorFrom(res, await res.json().catch(() => undefined));
 */
export function brokerErrorFrom(response: Response, body: unknown): BrokerError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = isCode(fields.error) ? fields.error : undefined;
  const description =
    typeof fields.error_description === 'string'
      ? fields.error_description
      : `unexpected answer ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const init: BrokerErrorInit = {
    status: response.status,
    description:
      code || typeof fields.error !== 'string' ? description : `${fields.error}: ${description}`,
    retryAfter: retryAfterSeconds(response.headers.get('retry-after'), Date.now()),
    requestId: response.headers.get('x-request-id') ?? undefined,
    connectionId: typeof fields.connection_id === 'string' ? fields.connection_id : undefined,
  };
  return new CLASSES[code ?? 'server_error'](init);
}
