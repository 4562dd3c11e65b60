import { idParam } from '../../connections/schemas.js';
import { pathParameters, type PathItems } from './shared.js';

const html = { 'text/html': { schema: { type: 'string' } } };
const idParameter = pathParameters(idParam);

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
      '303': { description: 'redirect' },
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
  '/console/providers': consolePage('getConsoleProviders', 'Providers'),
  '/console/services': consolePage('getConsoleServices', 'Services'),
  '/console/overview': consolePage('getConsoleOverview', 'Overview with counts'),
  '/console/audit': consolePage('getConsoleAudit', 'The audit log'),
  '/console/webhooks': consolePage('getConsoleWebhooks', 'Webhook endpoints'),
  '/console/deliveries': consolePage('getConsoleDeliveries', 'Webhook deliveries'),
  '/console/deliveries/{id}/replay': consoleForm(
    'consoleReplayDelivery',
    'Replay a delivery',
    idParameter,
  ),
};
