import { z } from 'zod';
import type { Container } from '../../container.js';
import { PROVIDER_KEY } from '../../providers/provider-key.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

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
  allowed_providers: z
    .array(z.string().regex(PROVIDER_KEY, 'must be a provider key'))
    .max(500)
    .default([]),
  allowed_return_to: z.array(origin).max(100).default([]),
  jwks: z.object({ keys: z.array(z.object({}).passthrough()).min(1).max(20) }).optional(),
});

const serviceId = z.object({ id: z.string().min(1).max(64) });

interface ServiceRow {
  id: string;
  name: string;
  allowedProviders: string[];
  allowedReturnTo: string[];
  clientId: string;
  jwks: unknown;
  createdAt: Date;
}

/** A service as the admin API shows it: never a secret. */
export const presentService = (s: ServiceRow) => ({
  id: s.id,
  name: s.name,
  allowed_providers: s.allowedProviders,
  allowed_return_to: s.allowedReturnTo,
  client_id: s.clientId,
  jwks: s.jwks ?? null,
  created_at: s.createdAt.toISOString(),
});

/** `POST/GET /admin/services`, `GET/DELETE /admin/services/:id`. */
export function registerServiceRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);

  routes.add('POST', '/admin/services', admin, async (req, res) => {
    const body = parse(createServiceBody, req.body);
    const { service, apiKey, clientSecret } = await c.services.create({
      name: body.name,
      allowedProviders: body.allowed_providers,
      allowedReturnTo: body.allowed_return_to,
      jwks: body.jwks,
    });
    res
      .status(201)
      .json({ ...presentService(service), api_key: apiKey, client_secret: clientSecret });
  });

  routes.add('GET', '/admin/services', admin, async (_req, res) => {
    res.json({ data: (await c.services.list()).map(presentService), next_cursor: null });
  });

  routes.add('GET', '/admin/services/:id', admin, async (req, res) => {
    res.json(presentService(await c.services.get(parse(serviceId, req.params).id)));
  });

  routes.add('DELETE', '/admin/services/:id', admin, async (req, res) => {
    await c.services.remove(parse(serviceId, req.params).id);
    res.status(204).end();
  });
}
