import { deliverySchema } from '../../webhooks/deliveries.js';
import { endpointSchema, endpointWithSecretSchema } from '../../webhooks/endpoints.js';
import {
  createEndpointBody,
  deliveryListQuery,
  endpointListQuery,
  updateEndpointBody,
  webhookParams,
} from '../../webhooks/schema.js';
import { schemas } from './components.js';
import {
  adminAuth as security,
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  queryParameters,
  type PathItems,
} from './shared.js';

const idParameter = pathParameters(webhookParams);
const errors = { '400': errorResponse, '401': errorResponse };

/** Outbound webhook endpoints, the delivery log and replay. */
export const webhookPaths: PathItems = {
  '/admin/webhooks': {
    post: {
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint (the signing secret is shown once)',
      security,
      requestBody: jsonBody(createEndpointBody),
      responses: { '201': json('created', endpointWithSecretSchema), ...errors },
    },
    get: {
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      security,
      parameters: queryParameters(endpointListQuery),
      responses: { '200': json('a page', schemas.WebhookEndpointPage), ...errors },
    },
  },
  '/admin/webhooks/{id}': {
    get: {
      operationId: 'getWebhookEndpoint',
      summary: 'One webhook endpoint',
      security,
      parameters: idParameter,
      responses: { '200': json('endpoint', endpointSchema), ...errors, '404': errorResponse },
    },
    patch: {
      operationId: 'updateWebhookEndpoint',
      summary: 'Change url, events or enabled (enabling clears disabled_reason)',
      security,
      parameters: idParameter,
      requestBody: jsonBody(updateEndpointBody),
      responses: { '200': json('endpoint', endpointSchema), ...errors, '404': errorResponse },
    },
    delete: {
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint and its deliveries',
      security,
      parameters: idParameter,
      responses: { '204': { description: 'deleted' }, ...errors, '404': errorResponse },
    },
  },
  '/admin/webhooks/{id}/rotate-secret': {
    post: {
      operationId: 'rotateWebhookEndpointSecret',
      summary: 'New signing secret (shown once); the previous one also signs for 24 h',
      security,
      parameters: idParameter,
      responses: {
        '200': json('rotated', endpointWithSecretSchema),
        ...errors,
        '404': errorResponse,
      },
    },
  },
  '/admin/webhook-deliveries': {
    get: {
      operationId: 'listWebhookDeliveries',
      summary: 'The delivery log, newest first',
      security,
      parameters: queryParameters(deliveryListQuery),
      responses: { '200': json('a page', schemas.DeliveryPage), ...errors },
    },
  },
  '/admin/webhook-deliveries/{id}/replay': {
    post: {
      operationId: 'replayWebhookDelivery',
      summary: 'Send a delivery again, with the same webhook-id',
      security,
      parameters: idParameter,
      responses: {
        '202': json('queued', deliverySchema),
        ...errors,
        '404': errorResponse,
        '409': errorResponse,
      },
    },
  },
};
