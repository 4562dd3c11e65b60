/** A provider `key` (API.md): lowercase, 2–63 characters; `templates` is reserved. */
export const PROVIDER_KEY = /^[a-z0-9][a-z0-9_-]{1,62}$/;

export const RESERVED_PROVIDER_KEYS: ReadonlySet<string> = new Set(['templates']);
