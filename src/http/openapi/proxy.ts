import { serviceConnectionParams } from '../token-read.js';
import { errorBodySchema } from '../../errors/schema.js';
import { errorResponse, json, pathParameters, serviceAuth, type PathItems } from './shared.js';

const brokerHeaders = {
  'Broker-Attempts': {
    description: 'upstream requests made for this call (0: the broker answered without calling)',
    schema: { type: 'integer' },
  },
};
/** An answer the broker made itself; `Broker-Error` names its code. */
const brokerError = (description: string) => ({
  ...json(description, errorBodySchema),
  headers: {
    ...brokerHeaders,
    'Broker-Error': { description: 'the error code of the JSON body', schema: { type: 'string' } },
  },
});

/** One method of the proxy: every method has the same contract (API.md "Proxy"). */
const operation = (method: string) => ({
  operationId: `proxy${method.charAt(0)}${method.slice(1).toLowerCase()}`,
  summary: `${method} to the provider's API through the broker`,
  description:
    "Forwards to `{api_base_url}/{path}?{query}` with the connection's credential injected (Bearer, the template's API-key header or parameter, or Basic). The caller's Authorization, Cookie, Host, Forwarded/X-Forwarded-*, hop-by-hop and Broker-* headers are not forwarded; bodies stream both ways. Upstream 401: one refresh and one retry. 429/502/503/504 and connection errors: retried with back-off honouring Retry-After for idempotent methods or with an Idempotency-Key, within PROXY_MAX_ATTEMPTS and PROXY_TIMEOUT_MS. A spent quota is answered 429 rate_limited without calling, on every replica.",
  security: serviceAuth,
  parameters: [
    ...pathParameters(serviceConnectionParams),
    {
      name: 'path',
      in: 'path',
      required: true,
      description: 'the path under api_base_url; no dot or empty segments, no encoded / . \\\\',
      schema: { type: 'string' },
    },
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'makes a POST or PATCH retryable (forwarded as is)',
      schema: { type: 'string' },
    },
  ],
  responses: {
    default: {
      description:
        "the provider's status, headers (less hop-by-hop, Set-Cookie and Broker-*) and body, streamed",
      headers: brokerHeaders,
    },
    '400': brokerError(
      'invalid_request: a path leaving api_base_url, or a provider without api_base_url',
    ),
    '401': errorResponse,
    '404': brokerError('not_found: unknown, or outside the service policy'),
    '409': brokerError('reauthorization_required'),
    '410': brokerError('revoked'),
    '413': brokerError('payload_too_large: over PROXY_BODY_LIMIT_BYTES'),
    '429': brokerError("rate_limited with Retry-After: the provider's quota is spent"),
    '502': brokerError('upstream_unavailable: the provider could not be reached'),
    '503': brokerError("upstream_unavailable: the provider's circuit is open (Retry-After)"),
    '504': brokerError('upstream_unavailable: no answer within PROXY_TIMEOUT_MS'),
  },
});

/** `ANY /v1/connections/{id}/proxy/{path}` (answered before Express: src/http/proxy-route.ts). */
export const proxyPaths: PathItems = {
  '/v1/connections/{id}/proxy/{path}': Object.fromEntries(
    ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'].map((m) => [
      m,
      operation(m.toUpperCase()),
    ]),
  ),
};
