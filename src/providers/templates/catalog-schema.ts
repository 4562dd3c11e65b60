import { z } from 'zod';
import { RESERVED_AUTHORIZATION_PARAMS, RESERVED_TOKEN_PARAMS } from '../schema.js';
import { WEBHOOK_SCHEME_NAMES } from '../../provider-webhooks/schemes/index.js';
import type { ProviderTemplate } from './types.js';

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/g;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** A dotted path into a token response; never one that could name a secret. */
const FIELD_PATH = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a dotted path')
  .refine((p) => !/token|secret|password|code/i.test(p), 'must not name a secret');

/** Parameters the broker sets itself, in authorization or token requests (providers/schema.ts). */
const RESERVED = new Set([...RESERVED_AUTHORIZATION_PARAMS, ...RESERVED_TOKEN_PARAMS]);

const urlTemplate = z
  .string()
  .max(2048)
  .refine((u) => URL.canParse(u.replace(PLACEHOLDER, 'x')), 'must be a URL with {placeholders}')
  .refine(
    (u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u),
    'must be https',
  );

const params = z
  .record(z.string(), z.string())
  .refine(
    (m) => !Object.keys(m).some((k) => RESERVED.has(k)),
    'sets a parameter the broker controls',
  );

/** An event field: a dotted path (`*` for array elements) or `header:<name>`. */
const EVENT_FIELD = z
  .string()
  .regex(
    /^(?:header:[a-z0-9-]{1,64}|[A-Za-z_*][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\*))*)$/,
  );

const accounts = z.array(z.strictObject({ field: EVENT_FIELD, metadata: FIELD_PATH }));
const webhook = z.strictObject({
  scheme: z.enum(WEBHOOK_SCHEME_NAMES),
  accounts: accounts.optional(),
  revokeOn: z
    .array(z.strictObject({ event: z.string().min(1).max(200), accounts: accounts.optional() }))
    .optional(),
  events: z.array(z.string().min(1).max(200)),
});

const placeholder = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  level: z.enum(['provider', 'connection']),
  description: z.string().min(1),
  default: z.string().optional(),
  pattern: z
    .instanceof(RegExp)
    .refine((r) => r.source.startsWith('^') && r.source.endsWith('$'), 'must be anchored (^…$)')
    .refine((r) => !r.test('a/b') && !r.test('a@b') && !r.test('a:1'), 'must refuse / @ and :'),
});

const URL_FIELDS = [
  'issuer',
  'authorizationEndpoint',
  'tokenEndpoint',
  'revocationEndpoint',
  'deviceAuthorizationEndpoint',
  'jwksUri',
  'userinfoEndpoint',
] as const;

/** Every `{name}` a template's URLs use. */
export function usedPlaceholders(
  t: Partial<Record<(typeof URL_FIELDS)[number], string | undefined>>,
): string[] {
  const names = new Set<string>();
  for (const field of URL_FIELDS) {
    for (const m of (t[field] ?? '').matchAll(PLACEHOLDER)) if (m[1]) names.add(m[1]);
  }
  return [...names];
}

/**
 * The schema every catalog entry satisfies: endpoints https with declared placeholders,
 * each placeholder with an anchored pattern (and a valid default), no parameter the
 * broker sets itself, a docs link, no token response field that could hold a secret.
 */
export const templateSchema = z
  .strictObject({
    template: z.string().regex(NAME),
    displayName: z.string().min(1).max(200),
    docsUrl: z.url({ protocol: /^https$/ }),
    issuer: urlTemplate.optional(),
    authorizationEndpoint: urlTemplate,
    tokenEndpoint: urlTemplate,
    revocationEndpoint: urlTemplate.optional(),
    deviceAuthorizationEndpoint: urlTemplate.optional(),
    jwksUri: urlTemplate.optional(),
    userinfoEndpoint: urlTemplate.optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/)),
    scopeSeparator: z.enum([' ', ',', '+']),
    scopeParameter: z
      .string()
      .regex(/^[a-z_]{1,32}$/)
      .optional(),
    clientAuthMethod: z.enum([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]),
    authorizationParams: params,
    tokenParams: params,
    placeholders: z.array(placeholder),
    tokensExpire: z.boolean(),
    rotatesRefreshTokens: z.boolean(),
    tokenPath: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    tokenResponseFields: z.array(FIELD_PATH).optional(),
    accountEndpoint: z
      .strictObject({
        url: urlTemplate,
        fields: z.record(z.string().regex(/^[A-Za-z0-9_.]{1,100}$/), FIELD_PATH),
      })
      .optional(),
    callbackParams: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/)).optional(),
    grants: z.array(z.enum(['client_credentials', 'device_code'])).optional(),
    authMode: z.enum(['oauth2', 'api_key', 'basic']).optional(),
    staticCredential: z
      .strictObject({
        label: z.string().min(1).max(80),
        hint: z.string().max(300).optional(),
        pattern: z.instanceof(RegExp).optional(),
      })
      .optional(),
    webhook: webhook.optional(),
    api: z
      .strictObject({
        baseUrl: z.string().max(2048),
        quota: z.enum(['connection', 'app']),
        fields: z
          .record(
            z.string().regex(/^[a-z_][a-z0-9_]*$/),
            z
              .instanceof(RegExp)
              .refine(
                (r) => r.source.startsWith('^') && r.source.endsWith('$'),
                'must be anchored',
              ),
          )
          .optional(),
        apiKey: z
          .union([
            z.strictObject({
              header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
              prefix: z.string().max(32).optional(),
            }),
            z.strictObject({ query: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
          ])
          .optional(),
        limits: z.string().min(1).max(400),
      })
      .optional(),
    notes: z.string().max(1000).optional(),
  })
  .superRefine((t, ctx) => {
    const declared = new Set(t.placeholders.map((p) => p.name));
    for (const name of usedPlaceholders(t)) {
      if (!declared.has(name))
        ctx.addIssue({ code: 'custom', message: `{${name}} is not declared` });
    }
    for (const p of t.placeholders) {
      if (p.default !== undefined && !p.pattern.test(p.default)) {
        ctx.addIssue({ code: 'custom', message: `${p.name}: default does not match its pattern` });
      }
    }
    if (t.api) {
      // A metadata field stands for a whole origin (Salesforce instance_url), a placeholder for a host part.
      const fields = new Set(Object.keys(t.api.fields ?? {}));
      const sample = t.api.baseUrl.replace(PLACEHOLDER, (_m, name: string) =>
        fields.has(name) ? 'https://x.example' : 'x',
      );
      if (!/^https:\/\//.test(sample) || !URL.canParse(sample) || sample.includes('?')) {
        ctx.addIssue({
          code: 'custom',
          message: 'api.baseUrl must be an https URL without a query',
        });
      }
      for (const m of t.api.baseUrl.matchAll(PLACEHOLDER)) {
        if (m[1] && !declared.has(m[1]) && !fields.has(m[1])) {
          ctx.addIssue({ code: 'custom', message: `api.baseUrl: {${m[1]}} is not declared` });
        }
      }
    }
    if (t.grants?.includes('device_code') && !t.deviceAuthorizationEndpoint) {
      ctx.addIssue({ code: 'custom', message: 'device_code needs deviceAuthorizationEndpoint' });
    }
  });

/**
 * Checks catalog entries; throws naming the template and the problem.
 * @throws Error when an entry does not satisfy `templateSchema` or a name repeats.
 */
export function validateCatalog(templates: readonly ProviderTemplate[]): void {
  const seen = new Set<string>();
  for (const t of templates) {
    const result = templateSchema.safeParse(t);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`template ${t.template}: ${issue?.path.join('.')} ${issue?.message}`);
    }
    if (seen.has(t.template)) throw new Error(`template ${t.template} appears twice`);
    seen.add(t.template);
  }
}
