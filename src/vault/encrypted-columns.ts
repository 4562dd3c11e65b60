/**
 * Every encrypted column, by table. Key rotation walks this list, so a new encrypted
 * column is registered here (and nowhere else).
 */
export interface EncryptedTable {
  table: string;
  /** Primary key column; its value is part of each ciphertext's additional data. */
  idColumn: string;
  /** Column holding the key id of every ciphertext in the row. */
  keyIdColumn: string;
  fields: readonly string[];
}

export const ENCRYPTED_TABLES: readonly EncryptedTable[] = [
  {
    table: 'token_sets',
    idColumn: 'connection_id',
    keyIdColumn: 'key_id',
    fields: ['access_token', 'refresh_token', 'id_token'],
  },
  {
    table: 'providers',
    idColumn: 'key',
    keyIdColumn: 'key_id',
    fields: ['client_secret', 'client_key'],
  },
  {
    table: 'providers',
    idColumn: 'key',
    keyIdColumn: 'webhook_key_id',
    fields: ['webhook_secret', 'previous_webhook_secret', 'webhook_learned_secrets'],
  },
  { table: 'webhook_events', idColumn: 'id', keyIdColumn: 'key_id', fields: ['sealed_payload'] },
  { table: 'oauth_flows', idColumn: 'id', keyIdColumn: 'key_id', fields: ['code_verifier'] },
  { table: 'device_sessions', idColumn: 'id', keyIdColumn: 'key_id', fields: ['device_code'] },
  { table: 'signing_keys', idColumn: 'kid', keyIdColumn: 'key_id', fields: ['private_jwk'] },
  {
    table: 'webhook_endpoints',
    idColumn: 'id',
    keyIdColumn: 'key_id',
    fields: ['secret', 'previous_secret'],
  },
  {
    table: 'connections',
    idColumn: 'id',
    keyIdColumn: 'pending_revocation_key_id',
    fields: ['pending_revocation'],
  },
];
