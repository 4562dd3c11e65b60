import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_DOCS } from '../../src/config/schema.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const read = (path: string) => readFile(join(PROJECT_ROOT, path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions by stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): { from: string; name?: string; steps: Instruction[] }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: { from: string; name?: string; steps: Instruction[] }[] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ from: m?.[1] ?? '', ...(m?.[2] ? { name: m[2] } : {}), steps: [] });
    } else {
      stages.at(-1)?.steps.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** Whether an environment variable name is one the broker reads. */
const knownVariable = (name: string) => name in CONFIG_DOCS || name.startsWith('OTEL_');

describe('Dockerfile', () => {
  let stages: ReturnType<typeof dockerStages>;
  beforeAll(async () => {
    stages = dockerStages(await read('Dockerfile'));
  });
  const final = () => stages.at(-1)!;
  const steps = (op: string) => final().steps.filter((s) => s.op === op);

  it('is multi-stage on a Node ≥ 22 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const major = Number(/^node:(\d+)/.exec(stage.from)?.[1]);
      expect({ from: stage.from, major: major >= 22 }).toEqual({ from: stage.from, major: true });
    }
  });

  it('runs as a non-root user', () => {
    const users = steps('USER').map((s) => s.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('has a HEALTHCHECK on /healthz', () => {
    const [check] = steps('HEALTHCHECK');
    expect(check?.args).toMatch(/CMD .*\/healthz/);
  });

  it('ships production dependencies only, from a stage that omitted dev ones', () => {
    const copies = steps('COPY').filter((s) => /node_modules/.test(s.args));
    expect(copies).toHaveLength(1);
    const from = /--from=(\S+)/.exec(copies[0]!.args)?.[1];
    const source = stages.find((s) => s.name === from);
    const installs = source?.steps.filter((s) => s.op === 'RUN' && /npm (ci|install)/.test(s.args));
    expect(installs?.length).toBeGreaterThan(0);
    for (const run of installs ?? []) expect(run.args).toMatch(/--omit=dev/);
    expect(final().steps.some((s) => s.op === 'RUN' && /npm (ci|install)/.test(s.args))).toBe(
      false,
    );
  });

  it('starts the compiled broker with the tracing preload, in exec form', () => {
    const cmd = JSON.parse(steps('CMD').at(-1)!.args) as string[];
    expect(cmd).toStrictEqual([
      'node',
      '--import',
      './dist/src/observability/tracing.js',
      'dist/src/main.js',
    ]);
    expect(
      steps('ENV')
        .map((s) => s.args)
        .join(' '),
    ).toMatch(/NODE_ENV=production/);
  });
});

describe('docker-compose.yml', () => {
  type Service = {
    image?: string;
    environment?: Record<string, string>;
    deploy?: { replicas?: number };
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: unknown;
    ports?: string[];
    profiles?: string[];
  };
  let services: Record<string, Service>;
  beforeAll(async () => {
    const doc = parse(await read('deploy/docker-compose.yml'), { merge: true }) as {
      services: Record<string, Service>;
    };
    services = doc.services;
  });

  it('runs Postgres with a healthcheck and two broker replicas waiting for it', () => {
    expect(services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(services.postgres?.healthcheck).toBeDefined();
    expect(services.broker?.deploy?.replicas).toBe(2);
    expect(services.broker?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('configures the replicas for production against the compose Postgres', () => {
    const env = services.broker?.environment ?? {};
    expect(env.NODE_ENV).toBe('production');
    expect(env.DATABASE_URL).toMatch(/^postgresql:\/\/broker:.*@postgres:5432\/broker$/);
    // Secrets come from the operator's environment, never from the file.
    expect(env.TOKEN_ENCRYPTION_KEYS).toMatch(/^\$\{TOKEN_ENCRYPTION_KEYS:\?/);
    expect(env.ADMIN_API_TOKEN).toMatch(/^\$\{ADMIN_API_TOKEN:\?/);
    expect(Object.keys(env).filter((k) => !knownVariable(k))).toEqual([]);
  });

  it('publishes only the load balancer, which waits for healthy replicas', () => {
    const published = Object.entries(services)
      .filter(([, s]) => s.ports && !s.profiles)
      .map(([name]) => name);
    expect(published).toEqual(['lb']);
    expect(services.lb?.depends_on?.broker?.condition).toBe('service_healthy');
  });
});

describe('Kubernetes manifests', () => {
  type Manifest = {
    kind: string;
    metadata: { name: string };
    spec?: Record<string, unknown>;
    data?: Record<string, string>;
    stringData?: Record<string, string>;
    resources?: string[];
  };
  type Probe = { httpGet: { path: string; port: string } };
  type Container = {
    ports: { name: string; containerPort: number }[];
    readinessProbe: Probe;
    livenessProbe: Probe;
    envFrom: ({ secretRef?: { name: string } } & { configMapRef?: { name: string } })[];
    securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  };
  const dir = 'deploy/kubernetes';
  let manifests: Manifest[];
  let files: string[];
  const one = (kind: string) => manifests.find((m) => m.kind === kind)!;

  beforeAll(async () => {
    files = (await readdir(join(PROJECT_ROOT, dir))).filter((f) => f.endsWith('.yaml'));
    manifests = [];
    for (const f of files) {
      for (const doc of parseAllDocuments(await read(join(dir, f)))) {
        expect(doc.errors).toEqual([]);
        manifests.push(doc.toJS() as Manifest);
      }
    }
  });

  it('lists every manifest in kustomization.yaml', () => {
    expect([...(one('Kustomization').resources ?? [])].sort()).toEqual(
      files.filter((f) => f !== 'kustomization.yaml').sort(),
    );
  });

  it('runs at least two non-root replicas with readiness on /readyz and liveness on /healthz', () => {
    const spec = one('Deployment').spec as {
      replicas: number;
      template: { spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean } } };
    };
    expect(spec.replicas).toBeGreaterThanOrEqual(2);
    expect(spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    const [container] = spec.template.spec.containers;
    expect(container?.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container?.ports.map((p) => p.name)).toContain(container?.readinessProbe.httpGet.port);
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });

  it('takes its secrets from the Secret and the rest from the ConfigMap, all known variables', () => {
    const container = (
      one('Deployment').spec as { template: { spec: { containers: Container[] } } }
    ).template.spec.containers[0]!;
    const secret = one('Secret');
    const config = one('ConfigMap');
    expect(container.envFrom.map((e) => e.secretRef?.name ?? e.configMapRef?.name).sort()).toEqual(
      [secret.metadata.name, config.metadata.name].sort(),
    );
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([
      'ADMIN_API_TOKEN',
      'DATABASE_URL',
      'TOKEN_ENCRYPTION_KEYS',
    ]);
    const names = [...Object.keys(secret.stringData ?? {}), ...Object.keys(config.data ?? {})];
    expect(names.filter((n) => !knownVariable(n))).toEqual([]);
  });

  it('selects the Deployment’s pods from the Service and the PodDisruptionBudget', () => {
    const labels = (
      one('Deployment').spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels;
    const pdb = one('PodDisruptionBudget').spec as {
      minAvailable: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
    expect(labels).toMatchObject(pdb.selector.matchLabels);
    expect(labels).toMatchObject(
      (one('Service').spec as { selector: Record<string, string> }).selector,
    );
  });
});
