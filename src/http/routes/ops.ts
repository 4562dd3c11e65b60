import type { Container } from '../../container.js';
import type { z } from 'zod';
import {
  readinessChecks,
  type healthSchema,
  type notReadySchema,
  type readinessSchema,
} from '../../db/readiness.js';
import { registry } from '../../observability/metrics.js';
import { CONSOLE_JS } from '../../console/script.js';
import { BROKER_CSS } from '../../views/styles.js';
import { buildOpenApi } from '../openapi/index.js';
import type { RouteTable } from '../router.js';

type Health = z.output<typeof healthSchema>;
type Readiness = z.output<typeof readinessSchema>;
type NotReady = z.output<typeof notReadySchema>;

/** Health, readiness, metrics, the OpenAPI document and static assets. */
export function registerOpsRoutes(routes: RouteTable, c: Container): void {
  const openapi = JSON.stringify(buildOpenApi(c.config.publicUrl));

  routes.add('GET', '/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies Health);
  });

  routes.add('GET', '/readyz', async (_req, res) => {
    const checks = await readinessChecks(c.db.pool);
    if (checks.database === 'ok' && checks.migrations === 'ok') {
      res.json({ status: 'ready', checks } satisfies Readiness);
      return;
    }
    res.status(503).json({
      error: 'upstream_unavailable',
      error_description:
        checks.database === 'ok' ? 'database schema is not current' : 'database unreachable',
      checks,
    } satisfies NotReady);
  });

  routes.add('GET', '/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  routes.add('GET', '/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  routes.add('GET', '/assets/broker.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(BROKER_CSS);
  });

  routes.add('GET', '/assets/console.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(CONSOLE_JS);
  });
}
