/**
 * Field names that may carry a secret. Log calls pass structured objects, never raw
 * bodies or URLs, and a field of any of these names is censored wherever it appears
 * within the first {@link DEPTH} levels of a line (headers, bodies and the like nest).
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'api_key',
  'secret',
  'token',
  'code',
  'code_verifier',
  'subject_token',
  'client_assertion',
  'password',
]);

export const CENSOR = '[redacted]';
/** `{ req: { headers: { authorization } } }` is three levels deep. */
const DEPTH = 3;

const walkable = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * `obj` with every secret field censored, copied only where something is censored (the
 * caller's objects are never changed; a line with nothing to censor costs a key scan).
 * Plain objects and arrays are walked; anything else (an Error, a Date) is left to
 * pino's serializers. Replaces pino's `redact`, whose path matching cost ~12 µs a line
 * here (docs/PERFORMANCE.md).
 *
 * @example censorSecrets({ headers: { authorization: 'Bearer x' } }) // { headers: { authorization: '[redacted]' } }
 */
export function censorSecrets<T extends object>(obj: T, depth = DEPTH): T {
  let copy: Record<string, unknown> | undefined;
  const source = obj as Record<string, unknown>;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const value = source[key];
    let next = value;
    if (SECRET_FIELDS.has(key.toLowerCase())) next = CENSOR;
    else if (depth > 1 && walkable(value)) next = censorSecrets(value, depth - 1);
    if (next !== value) {
      copy ??= (Array.isArray(source) ? [...(source as unknown[])] : { ...source }) as Record<
        string,
        unknown
      >;
      copy[key] = next;
    }
  }
  return (copy ?? obj) as T;
}
