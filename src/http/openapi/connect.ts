import { errorResponse, type PathItems } from './shared.js';

const htmlPage = (description: string) => ({ description, content: { 'text/html': {} } });

/** Connect sessions (service API) and the browser consent flow. */
export const connectPaths: PathItems = {
  '/v1/connect-sessions': {
    post: {
      summary: 'Mint a single-use connect link for one (provider, subject), valid 10 minutes',
      security: [{ service: [] }],
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['provider', 'subject'],
              properties: {
                provider: { type: 'string' },
                subject: { type: 'string', minLength: 1, maxLength: 255 },
                scopes: { type: 'array', items: { type: 'string' } },
                return_to: { type: 'string', format: 'uri' },
                connection_config: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
      responses: {
        '201': { description: '{id, token, connect_url, expires_at}' },
        '400': errorResponse,
        '401': errorResponse,
        '403': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/connect/{token}': {
    get: {
      summary: 'Start the consent flow in the end user’s browser',
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '302': { description: 'to the provider’s authorization endpoint' },
        '404': htmlPage('unknown link'),
        '410': htmlPage('link used or expired'),
      },
    },
  },
  '/oauth/callback': {
    get: {
      summary: 'The redirect URI of every provider',
      responses: {
        '302': {
          description: 'to return_to with connection_id & status=success, or status=error&error=…',
        },
        '200': htmlPage('connected (no return_to)'),
        '400': htmlPage('the flow failed'),
      },
    },
  },
};
