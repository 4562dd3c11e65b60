import { DELIVERY_STATUSES } from '../../webhooks/deliveries.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/outbox.js';
import { errorResponse, page, ref, type PathItems } from './shared.js';

const security = [{ admin: [] }];
const json = (schema: Record<string, unknown>) => ({
  content: { 'application/json': { schema } },
});
const nullable = (type: string) => ({ type: [type, 'null'] });

const endpoint = {
  type: 'object',
  required: ['id', 'url', 'events', 'enabled', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    events: {
      type: 'array',
      items: { type: 'string', enum: WEBHOOK_EVENT_TYPES },
      description: 'Event types sent to this endpoint; empty means all',
    },
    enabled: { type: 'boolean' },
    disabled_reason: nullable('string'),
    previous_secret_expires_at: {
      ...nullable('string'),
      description: 'Until then the secret replaced by the last rotation signs too',
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};
const withSecret = {
  allOf: [
    ref('WebhookEndpoint'),
    {
      type: 'object',
      required: ['secret'],
      properties: {
        secret: { type: 'string', description: 'whsec_<base64>; shown in this response only' },
      },
    },
  ],
};
const endpointBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', format: 'uri', description: 'http(s) URL' },
    events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENT_TYPES } },
    enabled: { type: 'boolean' },
  },
};
const delivery = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    event_id: { type: 'string', description: 'Also the webhook-id header of every attempt' },
    type: { type: 'string', enum: WEBHOOK_EVENT_TYPES },
    endpoint_id: { type: 'string' },
    status: { type: 'string', enum: DELIVERY_STATUSES },
    attempts: { type: 'integer' },
    last_status_code: nullable('integer'),
    last_latency_ms: nullable('integer'),
    last_error: nullable('string'),
    next_attempt_at: nullable('string'),
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const query = (name: string, schema: Record<string, unknown>) => ({ name, in: 'query', schema });
const paging = [
  query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 50 }),
  query('cursor', { type: 'string', description: 'next_cursor of the previous page' }),
];
const errors = { '400': errorResponse, '401': errorResponse };

/** Named component schemas of this file (joined into `components.schemas`). */
export const webhookSchemas = {
  CreateWebhookEndpointRequest: { ...endpointBody, required: ['url'] },
  UpdateWebhookEndpointRequest: endpointBody,
  WebhookEndpoint: endpoint,
  WebhookEndpointWithSecret: withSecret,
  WebhookEndpointPage: page(ref('WebhookEndpoint')),
  Delivery: delivery,
  DeliveryPage: page(ref('Delivery')),
};

/** Outbound webhook endpoints, the delivery log and replay. */
export const webhookPaths: PathItems = {
  '/admin/webhooks': {
    post: {
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint (the signing secret is shown once)',
      security,
      requestBody: { required: true, ...json(ref('CreateWebhookEndpointRequest')) },
      responses: {
        '201': { description: 'created', ...json(ref('WebhookEndpointWithSecret')) },
        ...errors,
      },
    },
    get: {
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      security,
      parameters: paging,
      responses: {
        '200': { description: 'endpoints', ...json(ref('WebhookEndpointPage')) },
        ...errors,
      },
    },
  },
  '/admin/webhooks/{id}': {
    get: {
      operationId: 'getWebhookEndpoint',
      summary: 'One webhook endpoint',
      security,
      parameters: [idParam],
      responses: {
        '200': { description: 'endpoint', ...json(ref('WebhookEndpoint')) },
        ...errors,
        '404': errorResponse,
      },
    },
    patch: {
      operationId: 'updateWebhookEndpoint',
      summary: 'Change url, events or enabled (enabling clears disabled_reason)',
      security,
      parameters: [idParam],
      requestBody: { required: true, ...json(ref('UpdateWebhookEndpointRequest')) },
      responses: {
        '200': { description: 'endpoint', ...json(ref('WebhookEndpoint')) },
        ...errors,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint and its deliveries',
      security,
      parameters: [idParam],
      responses: { '204': { description: 'deleted' }, ...errors, '404': errorResponse },
    },
  },
  '/admin/webhooks/{id}/rotate-secret': {
    post: {
      operationId: 'rotateWebhookEndpointSecret',
      summary: 'New signing secret (shown once); the previous one also signs for 24 h',
      security,
      parameters: [idParam],
      responses: {
        '200': { description: 'rotated', ...json(ref('WebhookEndpointWithSecret')) },
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
      parameters: [
        query('status', { type: 'string', enum: DELIVERY_STATUSES }),
        query('endpoint_id', { type: 'string' }),
        query('type', { type: 'string', enum: WEBHOOK_EVENT_TYPES }),
        ...paging,
      ],
      responses: { '200': { description: 'deliveries', ...json(ref('DeliveryPage')) }, ...errors },
    },
  },
  '/admin/webhook-deliveries/{id}/replay': {
    post: {
      operationId: 'replayWebhookDelivery',
      summary: 'Send a delivery again, with the same webhook-id',
      security,
      parameters: [idParam],
      responses: {
        '202': { description: 'queued', ...json(ref('Delivery')) },
        ...errors,
        '404': errorResponse,
        '409': errorResponse,
      },
    },
  },
};
