/** A token's answer, of a real one's size: what the bare server and the broker's HTTP layer send. */
export const TOKEN_BODY = JSON.stringify({
  access_token: 'a'.repeat(120),
  token_type: 'Bearer',
  expires_at: '2030-01-01T00:00:00.000Z',
  scopes: ['openid', 'offline_access', 'api'],
  connection_id: 'conn_0123456789abcdefghij',
  provider: 'bench',
});
