import { connectionSchema, errorResponse, ref, type PathItems } from './shared.js';

const admin = [{ admin: [] }];
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const page = [
  query('limit', 'page size, 1–100', { type: 'integer', minimum: 1, maximum: 100, default: 50 }),
  query('cursor', 'next_cursor of the previous page'),
];
const idPath = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const html = { 'text/html': { schema: { type: 'string' } } };

const json = (schema: object) => ({ 'application/json': { schema } });

/** Named component schemas of this file (joined into `components.schemas`). */
export const adminSchemas = {
  AdminConnection: {
    ...connectionSchema,
    properties: {
      ...connectionSchema.properties,
      revoked_at: { type: ['string', 'null'], format: 'date-time' },
      upstream_revocation: { enum: ['succeeded', 'failed', 'not_supported', null] },
    },
  },
};

/** Admin API for connections, revocation and the audit trail, and the console's pages. */
export const adminPaths: PathItems = {
  '/admin/connections': {
    get: {
      operationId: 'adminListConnections',
      summary: 'List connections, newest first',
      security: admin,
      parameters: [
        query('service_id', 'owning service id'),
        query('provider', 'provider key'),
        query('subject', 'subject'),
        query('status', 'active | reauthorization_required | revoked'),
        ...page,
      ],
      responses: {
        '200': {
          description: '{data, next_cursor}',
          content: json(ref('ConnectionPage')),
        },
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
  '/admin/connections/revoke': {
    post: {
      operationId: 'adminRevokeConnections',
      summary: 'Revoke every connection of a provider and/or subject',
      security: admin,
      requestBody: {
        content: json({
          type: 'object',
          minProperties: 1,
          properties: { provider: { type: 'string' }, subject: { type: 'string' } },
        }),
      },
      responses: {
        '200': { description: '{revoked, upstream_failed, connection_ids}' },
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
  '/admin/connections/{id}': {
    get: {
      operationId: 'adminGetConnection',
      summary: 'One connection, with revoked_at and upstream_revocation',
      security: admin,
      parameters: [idPath],
      responses: {
        '200': {
          description: 'connection',
          content: json(ref('AdminConnection')),
        },
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'adminRevokeConnection',
      summary: 'Revoke (RFC 7009 upstream, tokens erased, connection.revoked); idempotent',
      security: admin,
      parameters: [idPath],
      responses: { '204': { description: 'revoked' }, '401': errorResponse, '404': errorResponse },
    },
  },
  '/admin/audit': {
    get: {
      operationId: 'listAuditEntries',
      summary: 'Who read, refreshed or revoked which connection, when (newest first)',
      security: admin,
      parameters: [
        query('connection_id', 'connection id'),
        query('action', 'e.g. connection.revoke, token.read'),
        query('actor', 'actor id: admin or a service id'),
        query('since', 'ISO 8601 instant, inclusive', { type: 'string', format: 'date-time' }),
        query('until', 'ISO 8601 instant, inclusive', { type: 'string', format: 'date-time' }),
        ...page,
      ],
      responses: {
        '200': { description: '{data, next_cursor}' },
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
};

const consolePage = (operationId: string, summary: string, parameters: object[] = []) => ({
  get: {
    operationId,
    summary,
    tags: ['console'],
    parameters,
    responses: { '200': { description: 'HTML', content: html }, '303': { description: 'sign in' } },
  },
});
const consoleForm = (operationId: string, summary: string, parameters: object[] = []) => ({
  post: {
    operationId,
    summary: `${summary} (form, CSRF token required)`,
    tags: ['console'],
    parameters,
    responses: {
      '201': { description: 'a result page (a secret or link shown once)', content: html },
      '303': { description: 'redirect' },
      '400': { description: 'the form again, with a message next to each field', content: html },
      '403': { description: 'bad CSRF token', content: html },
    },
  },
});

/** The admin web console: server-rendered HTML, session cookie, CSRF-protected forms. */
export const consolePaths: PathItems = {
  '/console': consolePage('getConsoleSignIn', 'Sign-in page'),
  '/console/sign-in': consoleForm('consoleSignIn', 'Sign in with the admin token'),
  '/console/sign-out': consoleForm('consoleSignOut', 'Sign out'),
  '/console/connections': consolePage('getConsoleConnections', 'Connections with filters'),
  '/console/connections/{id}': consolePage(
    'getConsoleConnection',
    'A connection and its audit trail',
    [idPath],
  ),
  '/console/connections/{id}/revoke': {
    ...consolePage('getConsoleRevokeConfirmation', 'Revocation confirmation', [idPath]),
    ...consoleForm('consoleRevokeConnection', 'Revoke', [idPath]),
  },
  '/console/providers': consolePage('getConsoleProviders', 'Providers'),
  '/console/providers/new': {
    ...consolePage('getConsoleNewProvider', 'Add a provider: templates, then its form', [
      { name: 'template', in: 'query', schema: { type: 'string' } },
    ]),
    ...consoleForm('consoleCreateProvider', 'Add a provider'),
  },
  '/console/providers/{key}': {
    ...consolePage('getConsoleProvider', 'A provider: redirect URI, webhook URL, settings', [
      { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
    ]),
    ...consoleForm('consoleUpdateProvider', "Change a provider's settings", [
      { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
    ]),
  },
  '/console/services': consolePage('getConsoleServices', 'Services'),
  '/console/services/new': {
    ...consolePage('getConsoleNewService', 'New service form'),
    ...consoleForm('consoleCreateService', 'Create a service; its secrets are shown once'),
  },
  '/console/services/{id}': {
    ...consolePage('getConsoleService', 'A service: settings, API keys, client secret', [idPath]),
    ...consoleForm('consoleUpdateService', "Change a service's settings", [idPath]),
  },
  '/console/services/{id}/keys': consoleForm('consoleCreateServiceKey', 'Issue an API key', [
    idPath,
  ]),
  '/console/services/{id}/keys/{key_id}/revoke': consoleForm(
    'consoleRevokeServiceKey',
    'Revoke an API key',
    [idPath, { name: 'key_id', in: 'path', required: true, schema: { type: 'string' } }],
  ),
  '/console/services/{id}/client-secret': consoleForm(
    'consoleRotateServiceClientSecret',
    'Rotate the client secret',
    [idPath],
  ),
  '/console/services/{id}/connect-link': consoleForm(
    'consoleCreateConnectLink',
    'Make a connect link for a subject',
    [idPath],
  ),
  '/console/overview': consolePage('getConsoleOverview', 'Overview with counts'),
  '/console/audit': consolePage('getConsoleAudit', 'The audit log'),
  '/console/webhooks': consolePage('getConsoleWebhooks', 'Webhook endpoints'),
  '/console/deliveries': consolePage('getConsoleDeliveries', 'Webhook deliveries'),
  '/console/deliveries/{id}/replay': consoleForm('consoleReplayDelivery', 'Replay a delivery', [
    idPath,
  ]),
};
