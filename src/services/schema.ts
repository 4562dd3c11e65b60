import { z } from 'zod';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { CONNECTION_ACCESS, type NewService, type ServicePatch } from './service-store.js';

/** An origin exactly as browsers send it: scheme://host[:port], nothing after. */
const origin = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://app.example.com');

/** The body of `POST /admin/services` (also what `token-broker services create` builds). */
export const createServiceBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** What end users read on the connect page ("Acme CRM"); `name` when absent. */
  display_name: z.string().trim().min(1).max(100).optional(),
  connection_access: z.enum(CONNECTION_ACCESS).default('own'),
  allowed_providers: z
    .array(z.string().regex(PROVIDER_KEY, 'must be a provider key'))
    .max(500)
    .default([]),
  allowed_return_to: z.array(origin).max(100).default([]),
  jwks: z.object({ keys: z.array(z.object({}).passthrough()).min(1).max(20) }).optional(),
});

/** The body of `PATCH /admin/services/{id}`: any of the create fields; `null` clears `display_name` and `jwks`. */
export const updateServiceBody = z
  .strictObject({
    name: createServiceBody.shape.name.optional(),
    display_name: z.string().trim().min(1).max(100).nullable().optional(),
    connection_access: z.enum(CONNECTION_ACCESS).optional(),
    allowed_providers: createServiceBody.shape.allowed_providers.unwrap().optional(),
    allowed_return_to: createServiceBody.shape.allowed_return_to.unwrap().optional(),
    jwks: createServiceBody.shape.jwks.unwrap().nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'the body must change at least one field');

/** The service id in `/admin/services/{id}…` paths. */
export const serviceParams = z.object({ id: z.string().min(1).max(64) });

/** The path of `DELETE /admin/services/{id}/keys/{key_id}`. */
export const serviceKeyParams = serviceParams.extend({ key_id: z.string().min(1).max(64) });

/** The body of `POST /admin/services/{id}/keys`. */
export const createKeyBody = z.strictObject({
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

/** The body of `POST /admin/services/{id}/client-secret`. */
export const rotateClientSecretBody = z.strictObject({
  /** Until when the replaced secret keeps working; 24 h from now when absent. */
  previous_expires_at: z.iso.datetime({ offset: true }).optional(),
});

/** A parsed service body, create or update, in the service store's words (types kept per body). */
const inStoreWords = <B extends z.output<typeof updateServiceBody>>(b: B) => ({
  name: b.name as B['name'],
  displayName: b.display_name as B['display_name'],
  connectionAccess: b.connection_access as B['connection_access'],
  allowedProviders: b.allowed_providers as B['allowed_providers'],
  allowedReturnTo: b.allowed_return_to as B['allowed_return_to'],
  jwks: b.jwks as B['jwks'],
});

/** A parsed `POST /admin/services` body in the service store's words. */
export const toNewService = (b: z.output<typeof createServiceBody>): NewService => inStoreWords(b);

/** A parsed `PATCH /admin/services/{id}` body in the service store's words. */
export const toServicePatch = (b: z.output<typeof updateServiceBody>): ServicePatch =>
  inStoreWords(b);
