import { randomBytes } from 'node:crypto';
import { Keyring } from '../../src/vault/keyring.js';

const k = (kid: string) => ({ kid, key: randomBytes(32) });
const ctx = { table: 'token_sets', id: 'conn_1', field: 'access_token' };

describe('Keyring', () => {
  const old = k('old');
  const current = k('new');

  it('round-trips under the current key and never stores plaintext', () => {
    const keyring = new Keyring([current, old]);
    const sealed = keyring.encrypt('gho_secret-token', ctx);
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('gho_secret');
    expect(keyring.currentKid).toBe('new');
    expect(keyring.decrypt(sealed, 'new', ctx)).toBe('gho_secret-token');
  });

  it('decrypts with an older key still in the list', () => {
    const sealed = new Keyring([old]).encrypt('v', ctx);
    expect(new Keyring([current, old]).decrypt(sealed, 'old', ctx)).toBe('v');
  });

  it('fails on a tampered ciphertext', () => {
    const keyring = new Keyring([current]);
    const sealed = keyring.encrypt('value', ctx);
    sealed.set([(sealed.at(-1) ?? 0) ^ 1], sealed.length - 1);
    expect(() => keyring.decrypt(sealed, 'new', ctx)).toThrow('failed authentication');
  });

  it('fails when a ciphertext is copied to another row or field (AAD)', () => {
    const keyring = new Keyring([current]);
    const sealed = keyring.encrypt('value', ctx);
    expect(() => keyring.decrypt(sealed, 'new', { ...ctx, id: 'conn_2' })).toThrow(
      'failed authentication',
    );
    expect(() => keyring.decrypt(sealed, 'new', { ...ctx, field: 'refresh_token' })).toThrow(
      'failed authentication',
    );
  });

  it('fails with a clear error for a key no longer configured', () => {
    const sealed = new Keyring([old]).encrypt('v', ctx);
    expect(() => new Keyring([current]).decrypt(sealed, 'old', ctx)).toThrow(
      'encryption key "old" is not configured',
    );
  });
});
