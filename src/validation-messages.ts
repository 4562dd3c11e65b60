import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** zod's own wording starts so; anything else is a message a schema wrote for people. */
const ZOD_DEFAULT = /^(Invalid|Too big|Too small|Unrecognized)/;

const quoteList = (values: readonly unknown[]) => values.map((v) => String(v)).join(', ');

/** The schema inside optional/default/nullable/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } };
  for (let i = 0; i < 10; i++) {
    const def = current._zod.def;
    const next = def.innerType ?? def.in;
    if (!next) break;
    current = next;
  }
  return current;
}

/** The field names the object schema at `path` knows, for "did you mean". */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = unwrap(schema);
  for (const step of path) {
    const def = (current as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object' && typeof step === 'string') {
      const shape = def.shape as Record<string, z.ZodType>;
      if (!shape[step]) return [];
      current = unwrap(shape[step]);
    } else if (def.type === 'array') {
      current = unwrap(def.element as z.ZodType);
    } else {
      return [];
    }
  }
  const def = (current as unknown as { _zod: { def: { type: string; shape?: object } } })._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** `clientSecret`, `client-secret`, `ClientSecret` all look like `client_secret`. */
const folded = (key: string) => key.toLowerCase().replace(/[-_\s]/g, '');

function didYouMean(key: string, known: string[]): string {
  const match = known.find((k) => folded(k) === folded(key));
  if (match) return ` (did you mean ${match}?)`;
  return known.length > 0 && known.length <= 12 ? ` (fields: ${known.join(', ')})` : '';
}

const SIZE_UNIT: Record<string, [string, string]> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
};

function sizeWords(origin: string, n: number | bigint): string {
  const unit = SIZE_UNIT[origin];
  return unit ? `${n} ${n === 1 ? unit[0] : unit[1]}` : String(n);
}

const FORMAT_WORDS: Record<string, string> = {
  url: 'must be a URL such as https://app.example.com/callback',
  datetime: 'must be an ISO 8601 instant such as 2030-01-31T12:00:00Z',
  email: 'must be an email address',
  uuid: 'must be a UUID',
  regex: 'has characters that are not allowed here',
};

const valueAt = (input: unknown, path: readonly PropertyKey[]) =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    input,
  );

/** One issue in words a person can act on (without the field path). */
function words(issue: Issue, input: unknown, schema: z.ZodType): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const value = valueAt(input, issue.path);
      if (value === undefined) return 'is required';
      const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
      return `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, not ${got}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      return `must be at least ${sizeWords(issue.origin, issue.minimum)}`;
    case 'too_big':
      return `must be at most ${sizeWords(issue.origin, issue.maximum)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${quoteList(issue.values)}`;
    case 'invalid_format':
      return FORMAT_WORDS[issue.format] ?? `must be a valid ${issue.format}`;
    case 'unrecognized_keys':
      return issue.keys
        .map((k) => `${k}: not a field${didYouMean(k, knownKeys(schema, issue.path))}`)
        .join('; ');
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      return 'is not valid here';
  }
}

/**
 * Every problem of a zod failure, in plain words with its field path, joined by "; "
 * (e.g. `key: is required; clientSecret: not a field (did you mean client_secret?)`).
 * A missing body gets a hint about `Content-Type: application/json`.
 *
 * @example
 * describeIssues(result.error.issues, req.body, providerBody);
 */
export function describeIssues(
  issues: readonly Issue[],
  input: unknown,
  schema: z.ZodType,
): string {
  if (input === undefined && issues.some((i) => i.path.length === 0)) {
    return 'a JSON body is required: send it with Content-Type: application/json';
  }
  const parts = issues.map((issue) => {
    const text = words(issue, input, schema);
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return where ? `${where}.${text}` : text;
    return where ? `${where}: ${text}` : text;
  });
  return [...new Set(parts)].join('; ') || 'invalid input';
}

/**
 * The first problem of each top-level field of a zod failure, in the same plain words, for
 * forms that show a message next to its field (`""` holds problems of the whole input).
 *
 * @example
 * issuesByField(result.error.issues, body, createServiceBody); // { name: 'must not be empty' }
 */
export function issuesByField(
  issues: readonly Issue[],
  input: unknown,
  schema: z.ZodType,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const field = issue.code === 'unrecognized_keys' ? '' : String(issue.path[0] ?? '');
    const rest = issue.path.slice(1).map(String).join('.');
    // An item of a list is named by what was typed, not by its index.
    const item = issue.path.length === 2 ? valueAt(input, issue.path) : undefined;
    const where = typeof item === 'string' ? `“${item}”` : rest;
    const text = `${where ? `${where}: ` : ''}${words(issue, input, schema)}`;
    // The first problem of a field is the one to fix first; the next shows after that.
    out[field] ??= text;
  }
  return out;
}
