import { auditFilters } from '../../audit/schemas.js';
import { adminConnectionSchema, revokedConnectionsSchema } from '../../connections/present.js';
import { bulkRevokeFilter, connectionFilters, idParam } from '../../connections/schemas.js';
import { schemas } from './components.js';
import {
  adminAuth,
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  queryParameters,
  type PathItems,
} from './shared.js';

/** Admin API for connections, revocation and the audit trail (`routes/admin-connections.ts`). */
export const adminConnectionPaths: PathItems = {
  '/admin/connections': {
    get: {
      operationId: 'adminListConnections',
      summary: 'List connections, newest first',
      security: adminAuth,
      parameters: queryParameters(connectionFilters),
      responses: {
        '200': json('a page', schemas.ConnectionPage),
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
  '/admin/connections/revoke': {
    post: {
      operationId: 'adminRevokeConnections',
      summary: 'Revoke every connection of a provider and/or subject',
      security: adminAuth,
      requestBody: jsonBody(bulkRevokeFilter),
      responses: {
        '200': json('what was revoked', revokedConnectionsSchema),
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
  '/admin/connections/{id}': {
    get: {
      operationId: 'adminGetConnection',
      summary: 'One connection, with revoked_at and upstream_revocation',
      security: adminAuth,
      parameters: pathParameters(idParam),
      responses: {
        '200': json('the connection', adminConnectionSchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'adminRevokeConnection',
      summary: 'Revoke (RFC 7009 upstream, tokens erased, connection.revoked); idempotent',
      security: adminAuth,
      parameters: pathParameters(idParam),
      responses: {
        '204': { description: 'revoked' },
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/admin/audit': {
    get: {
      operationId: 'listAuditEntries',
      summary: 'Who read, refreshed, proxied or revoked which connection, and every admin change',
      security: adminAuth,
      parameters: queryParameters(auditFilters),
      responses: {
        '200': json('a page, newest first', schemas.AuditEntryPage),
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
};
