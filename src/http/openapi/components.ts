import { z } from 'zod';
import { auditEntrySchema } from '../../audit/present.js';
import { connectSessionSchema } from '../../connect/present.js';
import { completeBody, connectSessionBody } from '../../connect/schema.js';
import {
  adminConnectionSchema,
  connectionSchema,
  revokedConnectionsSchema,
} from '../../connections/present.js';
import { bulkRevokeFilter } from '../../connections/schemas.js';
import { pageSchema } from '../../db/page.js';
import { healthSchema, notReadySchema, readinessSchema } from '../../db/readiness.js';
import { deviceSessionBody, deviceSessionSchema } from '../../device/schema.js';
import { errorBodySchema } from '../../errors/schema.js';
import {
  availableProviderListSchema,
  availableProviderSchema,
  providerSchema,
  providerTemplateListSchema,
  providerTemplateSchema,
} from '../../providers/present.js';
import { providerBody, providerUpdateBody } from '../../providers/schema.js';
import {
  apiKeySchema,
  createdApiKeySchema,
  createdServiceSchema,
  rotatedClientSecretSchema,
  serviceSchema,
} from '../../services/present.js';
import {
  createKeyBody,
  createServiceBody,
  rotateClientSecretBody,
  updateServiceBody,
} from '../../services/schema.js';
import { directConnectionSchema } from '../../static-credentials/present.js';
import { directConnectionBody } from '../../static-credentials/schema.js';
import { tokenSchema } from '../../tokens/present.js';
import {
  authorizationServerMetadataSchema,
  jwksSchema,
  tokenEndpointResponseSchema,
  tokenForm,
} from '../../tokens/schema.js';
import { deliverySchema } from '../../webhooks/deliveries.js';
import { endpointSchema, endpointWithSecretSchema } from '../../webhooks/endpoints.js';
import { createEndpointBody, updateEndpointBody } from '../../webhooks/schema.js';

/**
 * The names of `components.schemas`, for generated clients: request bodies as the routes'
 * zod schemas accept them (`io: input`: defaults optional, unknown fields allowed unless
 * the schema is strict), responses as the presenters' zod schemas produce them
 * (`io: output`: every field listed and no other). A schema used by an operation is
 * `$ref`ed by its name here; one not named is written inline.
 */
const requests = {
  CreateConnectSessionRequest: connectSessionBody,
  CompleteConnectSessionRequest: completeBody,
  CreateConnectionRequest: directConnectionBody,
  CreateDeviceSessionRequest: deviceSessionBody,
  OAuthTokenRequest: tokenForm,
  RevokeConnectionsRequest: bulkRevokeFilter,
  CreateProviderRequest: providerBody,
  UpdateProviderRequest: providerUpdateBody,
  CreateServiceRequest: createServiceBody,
  UpdateServiceRequest: updateServiceBody,
  CreateApiKeyRequest: createKeyBody,
  RotateClientSecretRequest: rotateClientSecretBody,
  CreateWebhookEndpointRequest: createEndpointBody,
  UpdateWebhookEndpointRequest: updateEndpointBody,
};

const responses = {
  Error: errorBodySchema,
  Connection: connectionSchema,
  ConnectionPage: pageSchema(connectionSchema),
  AdminConnection: adminConnectionSchema,
  DirectConnection: directConnectionSchema,
  RevokedConnections: revokedConnectionsSchema,
  Token: tokenSchema,
  ConnectSession: connectSessionSchema,
  DeviceSession: deviceSessionSchema,
  OAuthTokenResponse: tokenEndpointResponseSchema,
  AuthorizationServerMetadata: authorizationServerMetadataSchema,
  Jwks: jwksSchema,
  AvailableProvider: availableProviderSchema,
  AvailableProviderList: availableProviderListSchema,
  Provider: providerSchema,
  ProviderPage: pageSchema(providerSchema),
  ProviderTemplate: providerTemplateSchema,
  ProviderTemplateList: providerTemplateListSchema,
  Service: serviceSchema,
  ServicePage: pageSchema(serviceSchema),
  CreatedService: createdServiceSchema,
  ApiKey: apiKeySchema,
  ApiKeyPage: pageSchema(apiKeySchema),
  CreatedApiKey: createdApiKeySchema,
  RotatedClientSecret: rotatedClientSecretSchema,
  WebhookEndpoint: endpointSchema,
  WebhookEndpointPage: pageSchema(endpointSchema),
  WebhookEndpointWithSecret: endpointWithSecretSchema,
  Delivery: deliverySchema,
  DeliveryPage: pageSchema(deliverySchema),
  AuditEntry: auditEntrySchema,
  AuditEntryPage: pageSchema(auditEntrySchema),
  Health: healthSchema,
  Readiness: readinessSchema,
  NotReady: notReadySchema,
};

/** The named schemas, by how they are described (see above). */
export const registries = {
  input: z.registry<{ id: string }>(),
  output: z.registry<{ id: string }>(),
};
for (const [id, schema] of Object.entries(requests)) registries.input.add(schema, { id });
for (const [id, schema] of Object.entries(responses)) registries.output.add(schema, { id });

/** The named response schemas, for operations that answer them. */
export const schemas = responses;
