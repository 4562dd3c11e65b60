/** What a PromQL expression refers to: metric identifiers and label names, by where they appear. */
export interface PromqlRefs {
  metrics: string[];
  /** `metric{label="…"}` matchers, per metric identifier. */
  selectorLabels: { metric: string; label: string }[];
  /** Labels named in `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left (…)`. */
  groupingLabels: string[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/**
 * A deliberately small PromQL scanner, enough to check that dashboards and rules name
 * only metrics and labels that exist. Grafana variables (`$job`, `$__rate_interval`) are
 * treated as values.
 */
export function promqlRefs(expr: string): PromqlRefs {
  const selectorLabels: PromqlRefs['selectorLabels'] = [];
  const groupingLabels: string[] = [];
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\$\{?\w+\}?/g, '1')
    .replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _kw: string, list: string) => {
      groupingLabels.push(
        ...list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  rest = rest.replace(
    /([A-Za-z_:][\w:]*)?\s*\{([^}]*)\}/g,
    (_m, metric: string | undefined, body: string) => {
      for (const matcher of body.split(',')) {
        const label = /^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)/.exec(matcher)?.[1];
        if (label && metric) selectorLabels.push({ metric, label });
      }
      return metric ? ` ${metric} ` : ' ';
    },
  );
  const metrics = [...rest.matchAll(/([A-Za-z_:][\w:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()))
    .filter((m) => !/\d/.test(rest[(m.index ?? 0) - 1] ?? ''))
    .map((m) => m[1]!);
  return { metrics: [...new Set(metrics)], selectorLabels, groupingLabels };
}
