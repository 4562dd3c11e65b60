import type { ProviderRecord } from '../providers/types.js';
import { findTemplate } from '../providers/templates/index.js';
import type { CredentialForm } from './pages.js';

/** The longest secret the form takes (as `POST /v1/connections`). */
export const MAX_SECRET = 8192;
const MAX_USERNAME = 1024;

/** What a provider's static-credential form asks for, from its template when it has one. */
export function credentialForm(p: ProviderRecord): CredentialForm & {
  pattern: RegExp | undefined;
} {
  const rules = p.template ? findTemplate(p.template)?.staticCredential : undefined;
  return {
    mode: p.authMode === 'basic' ? 'basic' : 'api_key',
    label: rules?.label ?? (p.authMode === 'basic' ? 'Password' : 'API key'),
    hint: rules?.hint,
    pattern: rules?.pattern,
  };
}

/** The credentials the user typed, as the token set's access token stores them. */
export type StaticSecret =
  { type: 'api_key'; apiKey: string } | { type: 'basic'; username: string; password: string };

/**
 * Checks what the form posted against the provider's rules. The reason never repeats the
 * secret; the form is shown again empty.
 */
export function checkCredentials(
  form: ReturnType<typeof credentialForm>,
  posted: {
    api_key?: string | undefined;
    username?: string | undefined;
    password?: string | undefined;
  },
): StaticSecret | { error: string } {
  const printable = /^[^\p{C}]+$/u;
  if (form.mode === 'basic') {
    const username = posted.username?.trim() ?? '';
    const password = posted.password ?? '';
    if (!username || !password) return { error: 'Enter both the user name and the password.' };
    if (username.length > MAX_USERNAME || password.length > MAX_SECRET) {
      return { error: 'That is longer than any valid credential. Check what you pasted.' };
    }
    if (!printable.test(username) || username.includes(':')) {
      return { error: 'The user name cannot contain “:” or control characters.' };
    }
    if (form.pattern && !form.pattern.test(password)) {
      return {
        error: `That does not look like a valid ${form.label}.${form.hint ? ` ${form.hint}` : ''}`,
      };
    }
    return { type: 'basic', username, password };
  }
  const apiKey = posted.api_key?.trim() ?? '';
  if (!apiKey) return { error: `Enter your ${form.label}.` };
  if (apiKey.length > MAX_SECRET) {
    return { error: 'That is longer than any valid key. Check what you pasted.' };
  }
  if (!printable.test(apiKey) || (form.pattern && !form.pattern.test(apiKey))) {
    return {
      error: `That does not look like a valid ${form.label}.${form.hint ? ` ${form.hint}` : ''}`,
    };
  }
  return { type: 'api_key', apiKey };
}
