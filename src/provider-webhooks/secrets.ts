import type { Keyring } from '../vault/keyring.js';
import { ROTATION_OVERLAP_MS } from '../webhooks/endpoints.js';

/** Learned per-webhook secrets kept per provider (Asana: one per webhook); the oldest go first. */
const MAX_LEARNED = 50;

/** The webhook secret columns of a `providers` row. */
export interface WebhookSecretColumns {
  webhookKeyId: string | null;
  webhookSecret: Uint8Array | null;
  previousWebhookSecret: Uint8Array | null;
  previousWebhookSecretExpiresAt: Date | null;
  webhookLearnedSecrets: Uint8Array | null;
}

/** The columns as written: fresh ciphertexts. */
export interface WebhookSecretWrite {
  webhookKeyId?: string | null;
  webhookSecret?: Uint8Array<ArrayBuffer> | null;
  previousWebhookSecret?: Uint8Array<ArrayBuffer> | null;
  previousWebhookSecretExpiresAt?: Date | null;
  webhookLearnedSecrets?: Uint8Array<ArrayBuffer> | null;
}

type Field = 'webhook_secret' | 'previous_webhook_secret' | 'webhook_learned_secrets';
const ctx = (key: string, field: Field) => ({ table: 'providers', id: key, field });

function open(
  row: WebhookSecretColumns,
  key: string,
  field: Field,
  sealed: Uint8Array | null,
  keyring: Keyring,
) {
  return sealed && row.webhookKeyId
    ? keyring.decrypt(sealed, row.webhookKeyId, ctx(key, field))
    : undefined;
}

/** The secrets a provider's webhooks verify with at `now`. */
export interface VerificationSecrets {
  /** The configured secret, then the one replaced by a rotation while its overlap lasts. */
  configured: string[];
  /** Secrets learned in handshakes (Asana), newest first. */
  learned: string[];
}

/**
 * Decrypts a provider's webhook secrets.
 *
 * @example verificationSecrets('github', row, keyring, new Date()).configured // ['s3cret']
 */
export function verificationSecrets(
  key: string,
  row: WebhookSecretColumns,
  keyring: Keyring,
  now: Date,
): VerificationSecrets {
  const current = open(row, key, 'webhook_secret', row.webhookSecret, keyring);
  const inOverlap = (row.previousWebhookSecretExpiresAt?.getTime() ?? 0) > now.getTime();
  const previous = inOverlap
    ? open(row, key, 'previous_webhook_secret', row.previousWebhookSecret, keyring)
    : undefined;
  const learned = open(row, key, 'webhook_learned_secrets', row.webhookLearnedSecrets, keyring);
  return {
    configured: [current, previous].filter((s): s is string => s !== undefined),
    learned: learned ? (JSON.parse(learned) as string[]) : [],
  };
}

/**
 * The columns to write when an admin sets a provider's `webhook_secret`: `undefined`
 * keeps what is there, `null` removes every webhook secret, a new value replaces the
 * current one, which keeps verifying for ROTATION_OVERLAP_MS (the provider may still
 * sign with it while the admin switches). All ciphertexts move to the current key.
 *
 * @example
 * await prisma.provider.update({ where: { key }, data: webhookSecretColumns(key, row, 'new', keyring, now) });
 */
export function webhookSecretColumns(
  key: string,
  row: WebhookSecretColumns | undefined,
  next: string | null | undefined,
  keyring: Keyring,
  now: Date,
): WebhookSecretWrite {
  if (next === undefined) return {};
  if (next === null) {
    return {
      webhookKeyId: null,
      webhookSecret: null,
      previousWebhookSecret: null,
      previousWebhookSecretExpiresAt: null,
      webhookLearnedSecrets: null,
    };
  }
  const old = row ? verificationSecrets(key, row, keyring, now) : { configured: [], learned: [] };
  const current = old.configured[0];
  // The same secret again (a PUT repeating the body) changes nothing, overlap included.
  if (current === next) return {};
  const seal = (field: Field, value: string) => keyring.encrypt(value, ctx(key, field));
  const rotated = current !== undefined && current !== next;
  return {
    webhookKeyId: keyring.currentKid,
    webhookSecret: seal('webhook_secret', next),
    previousWebhookSecret: rotated ? seal('previous_webhook_secret', current) : null,
    previousWebhookSecretExpiresAt: rotated ? new Date(now.getTime() + ROTATION_OVERLAP_MS) : null,
    webhookLearnedSecrets:
      old.learned.length > 0 ? seal('webhook_learned_secrets', JSON.stringify(old.learned)) : null,
  };
}

/** The columns after learning one more handshake secret (newest first, at most MAX_LEARNED). */
export function learnedSecretColumns(
  key: string,
  row: WebhookSecretColumns,
  secret: string,
  keyring: Keyring,
  now: Date,
): WebhookSecretWrite {
  const old = verificationSecrets(key, row, keyring, now);
  const learned = [secret, ...old.learned.filter((s) => s !== secret)].slice(0, MAX_LEARNED);
  const current = old.configured[0];
  const previous = old.configured[1];
  const seal = (field: Field, value: string) => keyring.encrypt(value, ctx(key, field));
  // The row has one key id: every webhook ciphertext is sealed again under the current key.
  return {
    webhookKeyId: keyring.currentKid,
    webhookSecret: current === undefined ? null : seal('webhook_secret', current),
    previousWebhookSecret:
      previous === undefined ? null : seal('previous_webhook_secret', previous),
    webhookLearnedSecrets: seal('webhook_learned_secrets', JSON.stringify(learned)),
  };
}
