export type ComponentStatus = 'up' | 'down';
export interface HealthReport {
  status: ComponentStatus;
  components: Record<string, { status: ComponentStatus; detail?: string }>;
}

export type HealthCheck = () => Promise<void>;

/**
 * What an anonymous caller may know: up or down, nothing else. Dependency names and error text
 * (hosts, ports, driver messages) are for the probe port only.
 */
export function publicHealth(report: HealthReport): { status: ComponentStatus } {
  return { status: report.status };
}

/** Runs every check with a timeout; the process is up only when every component is. */
export async function checkHealth(checks: Record<string, HealthCheck>, timeoutMs = 2000): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        return [name, { status: 'up' as const }] as const;
      } catch (e) {
        return [name, { status: 'down' as const, detail: (e as Error).message }] as const;
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const status = entries.every(([, c]) => c.status === 'up') ? 'up' : 'down';
  return { status, components };
}
