import { providerParams } from '../../providers/schema.js';
import { errorAnswer, errorResponse, pathParameters, type PathItems } from './shared.js';

const keyParameter = pathParameters(providerParams);
const answer = (description: string) => ({
  description,
  content: {
    'application/json': { schema: { description: 'what the provider expects' } },
    'text/plain': { schema: { type: 'string' } },
  },
});

const refusals = {
  '400': errorAnswer('invalid_request: the body is not the JSON the provider sends'),
  '401': errorAnswer('invalid_token: missing, bad or stale signature'),
  '404': errorAnswer('not_found: unknown provider, or no webhook_secret'),
  '413': errorAnswer('payload_too_large: over BODY_LIMIT_BYTES'),
  '429': errorAnswer('rate_limited, with Retry-After'),
};

/** Inbound provider webhooks (API.md "Inbound provider webhooks"). */
export const providerWebhookPaths: PathItems = {
  '/webhooks/providers/{key}': {
    post: {
      operationId: 'receiveProviderWebhook',
      summary: "Receive the provider's own webhook",
      description:
        "Verifies the template's signature scheme on the raw body, answers handshakes (Slack url_verification, Zoom endpoint.url_validation, Xero intent to receive, Asana X-Hook-Secret, Discord PING), and queues each new delivery as one provider.webhook event `{provider, delivery_id, event_type, connection_ids, payload}` for the app's webhook endpoints. A delivery id seen before is acknowledged and not forwarded again. Provider-sent revocations revoke the matched connections.",
      parameters: keyParameter,
      requestBody: {
        required: true,
        content: { '*/*': { schema: { description: 'the provider payload, verified as sent' } } },
      },
      responses: {
        '200': answer('durably queued (or a handshake answered)'),
        '204': { description: 'durably queued (Discord) or a Discord PING answered' },
        ...refusals,
      },
    },
    get: {
      operationId: 'answerProviderWebhookChallenge',
      summary: 'Verification challenge (Dropbox `?challenge=`)',
      parameters: [...keyParameter, { name: 'challenge', in: 'query', schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'the challenge echoed as text/plain',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        '405': errorResponse,
        ...refusals,
      },
    },
  },
};
