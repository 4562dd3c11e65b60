import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import '../../src/observability/db-metrics.js';
import '../../src/proxy/metrics.js';
import {
  catalogNameOf,
  FORBIDDEN_LABELS,
  METRIC_CATALOG,
  type MetricSpec,
} from '../../src/observability/metric-names.js';
import { registry } from '../../src/observability/metrics.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { promqlRefs } from './promql.js';

const catalog = METRIC_CATALOG as Record<string, MetricSpec>;
/** Labels Prometheus attaches to every series (target labels) and to histogram buckets. */
const TARGET_LABELS = ['job', 'instance'];

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const readJson = async (path: string) =>
  JSON.parse(await readFile(join(PROJECT_ROOT, path), 'utf8')) as unknown;

/** Every PromQL expression in the dashboard, with where it came from. */
async function dashboardExpressions(): Promise<{ where: string; expr: string }[]> {
  const dashboard = (await readJson('observability/grafana/token-broker.json')) as {
    panels: Panel[];
    templating: { list: { name: string; query?: unknown }[] };
  };
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    const m = typeof v.query === 'string' ? /^label_values\((\w+),\s*(\w+)\)$/.exec(v.query) : null;
    if (m) out.push({ where: `variable $${v.name}`, expr: `${m[1]}{${m[2]}=""}` });
  }
  return out;
}

async function alertExpressions(): Promise<{ where: string; expr: string }[]> {
  const rules = parse(
    await readFile(join(PROJECT_ROOT, 'observability/prometheus/alerts.yml'), 'utf8'),
  ) as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: r.alert, expr: r.expr })));
}

/** Problems with one expression: unknown metrics, labels a metric does not have. */
function problems({ where, expr }: { where: string; expr: string }): string[] {
  const refs = promqlRefs(expr);
  const found: string[] = [];
  const known = refs.metrics.map((m) => catalogNameOf(m));
  refs.metrics.forEach((m, i) => {
    if (!known[i]) found.push(`${where}: unknown metric ${m}`);
  });
  if (refs.metrics.length === 0) found.push(`${where}: references no metric`);
  for (const { metric, label } of refs.selectorLabels) {
    const spec = catalog[catalogNameOf(metric) ?? ''];
    const allowed = [...(spec?.labels ?? []), ...TARGET_LABELS, 'le'];
    if (!allowed.includes(label)) found.push(`${where}: ${metric} has no label "${label}"`);
  }
  const labelsHere = new Set([
    ...TARGET_LABELS,
    'le',
    ...known.flatMap((n) => (n ? catalog[n]!.labels : [])),
  ]);
  for (const label of refs.groupingLabels) {
    if (!labelsHere.has(label)) found.push(`${where}: groups by unknown label "${label}"`);
  }
  return found;
}

describe('metric catalog', () => {
  it('never labels a metric with a subject, connection or other unbounded id', () => {
    for (const [name, spec] of Object.entries(catalog)) {
      expect({ name, forbidden: spec.labels.filter((l) => FORBIDDEN_LABELS.has(l)) }).toEqual({
        name,
        forbidden: [],
      });
    }
  });

  it('lists every token_broker_* metric the registry holds, with the same type and labels', () => {
    const registered = registry
      .getMetricsAsArray()
      .map((m) => m as unknown as { name: string; type: string; labelNames: string[] })
      .filter((m) => m.name.startsWith('token_broker_'));
    expect(registered.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'token_broker_http_request_duration_seconds',
        'token_broker_db_pool_connections',
        'token_broker_db_up',
      ]),
    );
    for (const m of registered) {
      const spec = catalog[m.name];
      expect({ name: m.name, listed: spec !== undefined }).toEqual({ name: m.name, listed: true });
      expect({ name: m.name, type: m.type, labels: [...m.labelNames].sort() }).toEqual({
        name: m.name,
        type: spec!.type,
        labels: [...spec!.labels].sort(),
      });
    }
  });

  it('resolves histogram series names and nothing else', () => {
    expect(catalogNameOf('token_broker_refresh_duration_seconds_bucket')).toBe(
      'token_broker_refresh_duration_seconds',
    );
    expect(catalogNameOf('token_broker_refreshes_total')).toBe('token_broker_refreshes_total');
    expect(catalogNameOf('token_broker_webhook_backlog_count')).toBeUndefined();
    expect(catalogNameOf('token_broker_refreshs_total')).toBeUndefined();
  });
});

describe('Grafana dashboard and Prometheus alert rules', () => {
  it('the dashboard parses and every query names catalog metrics and their labels', async () => {
    const expressions = await dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    expect(expressions.flatMap(problems)).toEqual([]);
  });

  it('the alert rules parse and every expression names catalog metrics and their labels', async () => {
    const expressions = await alertExpressions();
    expect(expressions.map((e) => e.where)).toEqual(
      expect.arrayContaining([
        'TokenBrokerDatabaseDown',
        'TokenBrokerRefreshFailureRate',
        'TokenBrokerReauthorizationSpike',
        'TokenBrokerWebhookBacklog',
        'TokenBrokerCircuitOpen',
      ]),
    );
    expect(expressions.flatMap(problems)).toEqual([]);
  });

  it('covers every broker metric of the catalog in the dashboard', async () => {
    const used = new Set(
      (await dashboardExpressions()).flatMap((e) =>
        promqlRefs(e.expr).metrics.map((m) => catalogNameOf(m)),
      ),
    );
    const unused = Object.keys(catalog).filter((n) => !used.has(n as never));
    expect(unused).toEqual([]);
  });

  // Regression guard for the checker itself: a typo must be caught, not pass silently.
  it('flags an unknown metric, a wrong label and an unknown grouping label', () => {
    expect(problems({ where: 'x', expr: 'rate(token_broker_refreshs_total[5m])' })).toEqual([
      'x: unknown metric token_broker_refreshs_total',
    ]);
    expect(problems({ where: 'x', expr: 'token_broker_webhook_backlog{provider="a"}' })).toEqual([
      'x: token_broker_webhook_backlog has no label "provider"',
    ]);
    expect(
      problems({ where: 'x', expr: 'sum by (subject) (token_broker_refreshes_total)' }),
    ).toEqual(['x: groups by unknown label "subject"']);
    expect(
      problems({
        where: 'x',
        expr: 'histogram_quantile(0.99, sum by (le, provider) (rate(token_broker_refresh_duration_seconds_bucket{job=~"$job"}[$__rate_interval]))) > 2',
      }),
    ).toEqual([]);
  });
});
