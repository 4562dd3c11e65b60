import { z } from 'zod';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { CONNECTION_ACCESS } from './service-store.js';

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
