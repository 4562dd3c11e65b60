import type { Container } from '../../container.js';
import { pendingMigrations } from '../../db/migrator.js';
import { registry } from '../../observability/metrics.js';
import { CONSOLE_JS } from '../../console/script.js';
import { BROKER_CSS } from '../../views/styles.js';
import { buildOpenApi } from '../openapi/index.js';
import type { RouteTable } from '../router.js';

/** Health, readiness, metrics, the OpenAPI document and static assets. */
export function registerOpsRoutes(routes: RouteTable, c: Container): void {
  const openapi = JSON.stringify(buildOpenApi(c.config.publicUrl));

  routes.add('GET', '/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  routes.add('GET', '/readyz', async (_req, res) => {
    const checks = { database: 'ok', migrations: 'ok' };
    try {
      await c.db.pool.query('SELECT 1');
      if ((await pendingMigrations(c.db.pool)).length > 0) checks.migrations = 'pending';
    } catch {
      checks.database = 'unreachable';
      checks.migrations = 'unknown';
    }
    if (checks.database === 'ok' && checks.migrations === 'ok') {
      res.json({ status: 'ready', checks });
      return;
    }
    res.status(503).json({
      error: 'upstream_unavailable',
      error_description:
        checks.database === 'ok' ? 'database schema is not current' : 'database unreachable',
      checks,
    });
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
