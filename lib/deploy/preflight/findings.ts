/** What a preflight check found: one line each, and for a problem, exactly what to change. */

export interface Finding {
  /** e.g. `aws region ap-east-1`, `gcp project k8s-artifacts-prod: billing`. */
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to change, for a problem: a command where there is one. */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): Finding => ({ check, ok: true, detail });

/** A permission (GCP) or action (Azure) the deploy needs, and the role that grants it. */
export interface Needed {
  readonly permission: string;
  readonly role: string;
}

/** Missing permissions grouped by the role that grants them: one line per role to grant. */
export function missingRoles(
  needed: readonly Needed[],
  isGranted: (permission: string) => boolean,
): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const { permission, role } of needed) {
    if (isGranted(permission)) continue;
    missing.set(role, [...(missing.get(role) ?? []), permission]);
  }
  return missing;
}

export const problem = (check: string, detail: string, fix: string): Finding => ({ check, ok: false, detail, fix });

/** A failed API call as a problem: its error name and message, and what the deployer may lack. */
export function callFailed(check: string, err: unknown, fix: string): Finding {
  const name = (err as { name?: unknown }).name;
  const message = err instanceof Error ? err.message : String(err);
  return problem(check, `${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${message}`, fix);
}

export function renderFindings(findings: readonly Finding[]): string {
  const lines = findings.flatMap((f) => [
    `${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}`,
    ...(f.fix ? [`      change: ${f.fix}`] : []),
  ]);
  const problems = findings.filter((f) => !f.ok).length;
  lines.push(
    problems === 0
      ? `preflight: all ${findings.length} checks passed`
      : `preflight: ${problems} problem${problems === 1 ? '' : 's'}; nothing was deployed`,
  );
  return `${lines.join('\n')}\n`;
}
