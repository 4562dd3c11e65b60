import fc from 'fast-check';
import type { FuzzRequest } from './http-client.js';

/** One operation of the OpenAPI document, as the fuzzer needs it. */
export interface Operation {
  method: string;
  /** OpenAPI path, e.g. `/v1/connections/{id}`. */
  path: string;
  security: 'admin' | 'service' | 'none';
  /** Media type of the request body, when the operation takes one. */
  bodyType: string | undefined;
  /** Top-level properties of the body schema (for bodies close enough to pass parsing). */
  bodyProperties: Record<string, { type?: unknown; enum?: unknown[] }>;
  queryNames: string[];
}

interface OpenApiOperation {
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: object } }> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of an OpenAPI 3.1 document. */
export function operationsOf(doc: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const op = raw as OpenApiOperation;
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const [bodyType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        security: scheme === 'admin' ? 'admin' : scheme === 'service' ? 'service' : 'none',
        bodyType,
        bodyProperties: (media?.schema?.properties ?? {}) as Operation['bodyProperties'],
        queryNames: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  return ops;
}

/** Real ids and credentials, so that half the requests get past authentication. */
export interface FuzzContext {
  adminToken: string;
  serviceApiKey: string;
  serviceJwt: string;
  clientBasic: string;
  /** Existing ids by path parameter name (used on read-only requests only). */
  realIds: Record<string, string[]>;
}

const hostile = fc.constantFrom(
  '..',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%ff%fe',
  '%c0%af',
  '%',
  '%zz',
  '%E2%80%AE',
  encodeURIComponent('conn_\u202e\u0000'),
  encodeURIComponent('😀'.repeat(40)),
  'a'.repeat(5000),
  '%20',
  '.',
  'templates',
  'null',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
);

/** Path parameter values: real ids, adversarial spellings, random unicode (encoded). */
const paramValue = (real: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: real.length > 0 ? fc.constantFrom(...real) : fc.constant('x') },
    { weight: 3, arbitrary: hostile },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 8 })
        .map((s) => encodeURIComponent(s.repeat(300))),
    },
  );

/** Query strings: duplicates, `a[]=` arrays, huge and hostile values. */
const queryArb = (names: string[]) => {
  const name = fc.oneof(
    fc.constantFrom(...names, 'limit', 'cursor', 'min_ttl', 'status', '__proto__'),
    fc.string({ maxLength: 10 }),
  );
  const value = fc.oneof(
    fc.constantFrom('', '0', '-1', '101', '1e9', 'NaN', 'true', '%', '%ff', 'a'.repeat(10_000)),
    fc.integer().map(String),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const pair = fc.tuple(name, value, fc.boolean()).map(([n, v, array]) => {
    const key = encodeURIComponent(n) + (array ? '[]' : '');
    return `${key}=${v.startsWith('%') ? v : encodeURIComponent(v)}`;
  });
  return fc.array(pair, { maxLength: 6 }).chain((pairs) =>
    fc
      .boolean()
      .map((dup) => (dup && pairs[0] ? [...pairs, pairs[0]] : pairs))
      .map((ps) => (ps.length > 0 ? `?${ps.join('&')}` : '')),
  );
};

const authHeader = (op: Operation, ctx: FuzzContext) => {
  const valid =
    op.security === 'admin'
      ? [`Bearer ${ctx.adminToken}`]
      : op.path === '/oauth/token'
        ? [ctx.clientBasic]
        : [`Bearer ${ctx.serviceApiKey}`, `Bearer ${ctx.serviceJwt}`];
  const bad = fc.oneof(
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'bearer  x',
      'Basic',
      'Basic !!!',
      'Basic ' + Buffer.from(':').toString('base64'),
      'Basic ' + Buffer.from('a'.repeat(3000) + ':x').toString('base64'),
      `Bearer ${'a'.repeat(7000)}`,
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      'Bearer eyJ.eyJ.sig',
      `Bearer ${ctx.adminToken}x`,
      `Bearer ${ctx.serviceApiKey.slice(0, -1)}`,
      `Bearer ${ctx.serviceApiKey}`,
      `Bearer ${ctx.adminToken}`,
      `Digest ${ctx.adminToken}`,
      'Bearer tbk_\u00ff\u00fe',
    ),
    headerText.map((s) => `Bearer ${s.slice(0, 64)}`),
  );
  // Half the requests carry a valid credential so handlers' validation runs.
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...valid) },
    { weight: 4, arbitrary: bad },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
};

/** A latin-1 safe header value (what Node lets a client send). */
const headerText = fc
  .string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .map((n) => String.fromCharCode(n === 0x7f ? 0x20 : n)),
  })
  .filter((s) => s.trim() === s);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    '*/*',
    'application/json, text/html',
  ),
  headerText.map((s) => s.slice(0, 200)),
);

const propertyValue = (schema: { type?: unknown; enum?: unknown[] }) => {
  const right =
    schema.enum && schema.enum.length > 0
      ? fc.constantFrom(...schema.enum)
      : schema.type === 'array'
        ? fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 })
        : schema.type === 'boolean'
          ? fc.boolean()
          : schema.type === 'integer'
            ? fc.integer()
            : fc.string({ maxLength: 40 });
  return fc.oneof(
    { weight: 3, arbitrary: right },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1000, max: 70_000 }))
        .map(([unit, n]) => unit.repeat(n)),
    },
    { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, -1, 1e308, '', [], {}, '\u0000', 'http://x') },
  );
};

/** Nested arrays, `depth` deep: a JSON parser bomb of bounded size. */
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const jsonBody = (op: Operation) => {
  const entries = Object.entries(op.bodyProperties);
  const shaped =
    entries.length === 0
      ? fc.dictionary(fc.string({ maxLength: 10 }), fc.anything({ maxDepth: 2 }))
      : fc.record(Object.fromEntries(entries.map(([k, s]) => [k, propertyValue(s)])), {
          requiredKeys: [],
        });
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((v) => Buffer.from(JSON.stringify(v))) },
    {
      weight: 1,
      arbitrary: shaped.map((v) => {
        const s = JSON.stringify(v);
        return Buffer.from(s.slice(0, Math.max(1, s.length - 1)));
      }),
    },
    {
      weight: 1,
      arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 20_000 }).map((d) => Buffer.from(deepJson(d))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        Buffer.from('{"key": "\xff\xfe'),
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
        Buffer.from('{"__proto__": {"admin": true}}'),
        Buffer.from('{"constructor": {"prototype": {"x": 1}}}'),
        Buffer.from('a=1&b=2'),
        Buffer.from('null'),
        Buffer.from('"string"'),
        Buffer.alloc(70 * 1024, 0x61),
      ),
    },
  );
};

const formBody = (op: Operation) => {
  const names = Object.keys(op.bodyProperties);
  const key = fc.oneof(
    fc.constantFrom(
      'grant_type',
      'client_id',
      'client_secret',
      'resource',
      'subject_token',
      'subject_token_type',
      'client_assertion',
      'client_assertion_type',
      'scope',
      ...names,
    ),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.constantFrom(
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'urn:ietf:params:oauth:token-type:access_token',
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      'eyJhbGciOiJIUzI1NiJ9.e30.x',
      'refresh_token',
      '',
    ),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
  return fc
    .array(fc.tuple(key, value), { maxLength: 8 })
    .map((pairs) =>
      Buffer.from(
        pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
      ),
    );
};

const bodyArb = (op: Operation) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: op.bodyType === 'application/x-www-form-urlencoded' ? formBody(op) : jsonBody(op),
    },
    { weight: 1, arbitrary: op.bodyType?.includes('form') ? jsonBody(op) : formBody(op) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

/** Small edits of the path itself: trailing slashes, `..`, case, doubled slashes. */
const pathMutation = fc.constantFrom(
  (p: string) => p,
  (p: string) => p,
  (p: string) => p,
  (p: string) => p,
  (p: string) => `${p}/`,
  (p: string) => `${p}/..`,
  (p: string) => `${p}/%2e%2e/admin/services`,
  (p: string) => p.toUpperCase(),
  (p: string) => p.replace(/\//g, '//'),
  (p: string) => `${p};jsessionid=1`,
  (p: string) => `${p}%00`,
  (p: string) => `${p}/${'x'.repeat(3000)}`,
);

const methodArb = (op: Operation) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'TRACE', 'PROPFIND') },
  );

/**
 * A hostile-or-valid request to one operation: its path with adversarial parameter values,
 * a random query, credentials valid half the time, odd headers and a mutated body.
 */
export function requestArb(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const paramNames = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  // Real ids only where the request cannot destroy them (the final health check reads them).
  const readOnly = (method: string) =>
    method === 'GET' || method === 'HEAD' || (method === 'POST' && op.path.endsWith('/refresh'));
  const methodAndParams = methodArb(op).chain((method) =>
    fc
      .tuple(...paramNames.map((n) => paramValue(readOnly(method) ? (ctx.realIds[n] ?? []) : [])))
      .map((params) => ({ method, params })),
  );
  const extraHeaders = fc.dictionary(
    fc.constantFrom(
      'accept',
      'x-forwarded-for',
      'x-request-id',
      'cookie',
      'origin',
      'content-encoding',
      'transfer-encoding-x',
      'x-http-method-override',
      'accept-language',
    ),
    fc.oneof(
      headerText.map((s) => s.slice(0, 100)),
      fc.constantFrom('gzip', 'br', 'identity', 'x'.repeat(6000), 'DELETE', '*/*;q=abc'),
    ),
    { maxKeys: 3 },
  );
  return fc
    .record({
      target: methodAndParams,
      mutate: pathMutation,
      query: queryArb(op.queryNames),
      auth: authHeader(op, ctx),
      type: fc.option(contentType, { freq: 5 }),
      headers: extraHeaders,
      body: bodyArb(op),
    })
    .map(({ target, mutate, query, auth, type, headers, body }) => {
      const { method, params: values } = target;
      let i = 0;
      const path = mutate(op.path.replace(/\{\w+\}/g, () => values[i++] ?? 'x')) + query;
      const sendsBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
      const contentTypeHeader = sendsBody
        ? { 'content-type': type ?? op.bodyType ?? 'application/json' }
        : {};
      return {
        method,
        path,
        headers: {
          ...headers,
          ...(auth === undefined ? {} : { authorization: auth }),
          ...contentTypeHeader,
        },
        ...(sendsBody ? { body } : {}),
      };
    });
}
