import { idParam } from '../../connections/schemas.js';
import { providerParams } from '../../providers/schema.js';
import { serviceKeyParams, serviceParams } from '../../services/schema.js';
import { webhookParams } from '../../webhooks/schema.js';
import { pathParameters, type PathItems } from './shared.js';

const html = { 'text/html': { schema: { type: 'string' } } };
const idParameter = pathParameters(idParam);
const serviceParameter = pathParameters(serviceParams);
const webhookParameter = pathParameters(webhookParams);

const consolePage = (operationId: string, summary: string, parameters: object[] = []) => ({
  get: {
    operationId,
    summary,
    tags: ['console'],
    parameters,
    responses: {
      '200': { description: 'HTML', content: html },
      '303': { description: 'to the sign-in page' },
      '404': { description: 'no such page or item', content: html },
    },
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
    idParameter,
  ),
  '/console/connections/{id}/revoke': {
    ...consolePage('getConsoleRevokeConfirmation', 'Revocation confirmation', idParameter),
    ...consoleForm('consoleRevokeConnection', 'Revoke', idParameter),
  },
  '/console/connections/{id}/reconnect-link': consoleForm(
    'consoleCreateReconnectLink',
    "Make a reconnect link for the owning service's connection",
    idParameter,
  ),
  '/console/providers': consolePage('getConsoleProviders', 'Providers'),
  '/console/providers/new': {
    ...consolePage('getConsoleNewProvider', 'Add a provider: templates, then its form', [
      { name: 'template', in: 'query', schema: { type: 'string' } },
    ]),
    ...consoleForm('consoleCreateProvider', 'Add a provider'),
  },
  '/console/providers/{key}': {
    ...consolePage(
      'getConsoleProvider',
      'A provider: redirect URI, webhook URL, settings',
      pathParameters(providerParams),
    ),
    ...consoleForm(
      'consoleUpdateProvider',
      "Change a provider's settings",
      pathParameters(providerParams),
    ),
  },
  '/console/services': consolePage('getConsoleServices', 'Services'),
  '/console/services/new': {
    ...consolePage('getConsoleNewService', 'New service form'),
    ...consoleForm('consoleCreateService', 'Create a service; its secrets are shown once'),
  },
  '/console/services/{id}': {
    ...consolePage(
      'getConsoleService',
      'A service: settings, API keys, client secret',
      serviceParameter,
    ),
    ...consoleForm('consoleUpdateService', "Change a service's settings", serviceParameter),
  },
  '/console/services/{id}/keys': consoleForm(
    'consoleCreateServiceKey',
    'Issue an API key',
    serviceParameter,
  ),
  '/console/services/{id}/keys/{key_id}/revoke': consoleForm(
    'consoleRevokeServiceKey',
    'Revoke an API key',
    pathParameters(serviceKeyParams),
  ),
  '/console/services/{id}/client-secret': consoleForm(
    'consoleRotateServiceClientSecret',
    'Rotate the client secret',
    serviceParameter,
  ),
  '/console/services/{id}/connect-link': consoleForm(
    'consoleCreateConnectLink',
    'Make a connect link for a subject',
    serviceParameter,
  ),
  '/console/overview': consolePage('getConsoleOverview', 'Overview with counts'),
  '/console/audit': consolePage('getConsoleAudit', 'The audit log'),
  '/console/webhooks': consolePage('getConsoleWebhooks', 'Webhook endpoints'),
  '/console/webhooks/new': {
    ...consolePage('getConsoleNewWebhook', 'Add a webhook endpoint'),
    ...consoleForm('consoleCreateWebhook', 'Add a webhook endpoint; its secret is shown once'),
  },
  '/console/webhooks/{id}/enable': consoleForm(
    'consoleEnableWebhook',
    'Enable an endpoint',
    webhookParameter,
  ),
  '/console/webhooks/{id}/disable': consoleForm(
    'consoleDisableWebhook',
    'Disable an endpoint',
    webhookParameter,
  ),
  '/console/webhooks/{id}/rotate-secret': consoleForm(
    'consoleRotateWebhookSecret',
    "Rotate an endpoint's signing secret",
    webhookParameter,
  ),
  '/console/webhooks/{id}/delete': {
    ...consolePage('getConsoleDeleteWebhook', 'Deletion confirmation', webhookParameter),
    ...consoleForm('consoleDeleteWebhook', 'Delete an endpoint', webhookParameter),
  },
  '/console/deliveries': consolePage('getConsoleDeliveries', 'Webhook deliveries'),
  '/console/deliveries/{id}/replay': consoleForm(
    'consoleReplayDelivery',
    'Replay a delivery',
    idParameter,
  ),
};
