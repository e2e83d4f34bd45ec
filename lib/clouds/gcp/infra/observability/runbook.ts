/**
 * The sections of docs/runbook.md that the alerts link to: one per alert, by heading. Each alert's documentation
 * carries the link, so the e-mail an operator gets says where to read what it means, what to check and what to do.
 * test/clouds/gcp/observability.test.ts holds the headings to the document.
 */

export const RUNBOOK_PATH = 'docs/runbook.md';

export const RUNBOOK_SECTIONS = {
  siteDown: 'The registry is down',
  certificateExpiry: 'The TLS certificate expires soon',
  serverErrors: 'Server errors at the load balancer',
  slowAnswers: 'Slow answers at the load balancer',
  throttling: 'Cloud Armor is throttling many requests',
  breakerOpen: "A backend's breaker opened",
  replicationFailed: 'A replication run failed',
  replicationStale: 'Replication has not succeeded for two periods',
} as const;

export type RunbookSection = keyof typeof RUNBOOK_SECTIONS;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Where a section is read, on the deploying repository's deploy branch. */
export function runbookUrl(github: { repository: string; branch: string }, section: RunbookSection): string {
  return `https://github.com/${github.repository}/blob/${github.branch}/${RUNBOOK_PATH}#${headingAnchor(RUNBOOK_SECTIONS[section])}`;
}
