export {
  createTokenBrokerClient,
  unwrap,
  type GetTokenOptions,
  type TokenBrokerClient,
  type TokenBrokerClientOptions,
} from './client.js';
export * from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export type * from './types.js';
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from './webhooks.js';
