/**
 * The three ways a report is shown: text for a terminal, markdown for a pull-request comment, JSON for tools.
 * Flagged changes come first in every form, then the routing impact, then everything else.
 */
import type { Action, Change, DiffReport, RoutingChange } from './model';
import { describeChange } from './values';

export const FORMATS = ['text', 'markdown', 'json'] as const;
export type Format = (typeof FORMATS)[number];

const SYMBOL: Readonly<Record<Action, string>> = { add: '+', remove: '-', modify: '~', replace: '-/+' };

/** The JSON form: exactly the documented shape (the values shown to people are left out). */
export function renderJson(report: DiffReport): string {
  const json = {
    base: report.base,
    changes: report.changes.map(({ cloud, stack, resource, type, action, paths, danger }) => ({
      cloud,
      stack,
      resource,
      type,
      action,
      paths,
      danger,
    })),
    routing: report.routing,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

function counts(report: DiffReport): string {
  if (report.changes.length === 0 && report.routing.length === 0) return 'no changes';
  const byAction = (['add', 'remove', 'modify', 'replace'] as const)
    .map((action) => [action, report.changes.filter((c) => c.action === action).length] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`);
  const flagged = report.changes.filter((c) => c.danger.length > 0).length;
  const regions = new Set(report.routing.map((r) => r.region)).size;
  return [
    `${report.changes.length} resource changes${byAction.length > 0 ? ` (${byAction.join(', ')})` : ''}`,
    `${flagged} flagged`,
    `routing: ${report.routing.length} client/region pairs in ${regions} Cloud Run regions move`,
  ].join('; ');
}

/** Consecutive clients of one region moving the same way, as one line. */
export function groupRouting(
  routing: readonly RoutingChange[],
): { region: string; clients: string[]; from: string | null; to: string | null }[] {
  const groups: { region: string; clients: string[]; from: string | null; to: string | null }[] = [];
  for (const change of routing) {
    const last = groups.find((g) => g.region === change.region && g.from === change.from && g.to === change.to);
    if (last) last.clients.push(change.client);
    else groups.push({ region: change.region, clients: [change.client], from: change.from, to: change.to });
  }
  return groups;
}

const backend = (url: string | null) => url ?? '(no redirector)';
const title = (change: Change) => `${change.cloud} ${change.stack} ${change.resource} (${change.type})`;
const valueLine = (value: Change['values'][number]) => `${value.path}: ${describeChange(value)}`;

export function renderText(report: DiffReport): string {
  const lines = [`diff against ${report.base}: ${counts(report)}`];
  const flagged = report.changes.filter((c) => c.danger.length > 0);
  if (flagged.length > 0) {
    lines.push('', 'FLAGGED');
    for (const change of flagged) {
      lines.push(`  ${SYMBOL[change.action]} ${title(change)}`);
      for (const danger of change.danger) lines.push(`      ! ${danger}`);
    }
  }
  if (report.routing.length > 0) {
    lines.push('', 'ROUTING (blob backend per client)');
    for (const group of groupRouting(report.routing))
      lines.push(`  ${group.region}: ${group.clients.join(', ')}: ${backend(group.from)} -> ${backend(group.to)}`);
  }
  if (report.changes.length > 0) {
    lines.push('', 'CHANGES');
    for (const change of report.changes) {
      lines.push(`  ${SYMBOL[change.action]} ${title(change)}`);
      for (const value of change.values) lines.push(`      ${valueLine(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub refuses comments over 65536 characters; the details are cut well before that. */
const MARKDOWN_BUDGET = 60_000;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

export function renderMarkdown(report: DiffReport): string {
  const parts = [`### Infrastructure diff against ${code(report.base)}`, '', `**${counts(report)}**`];
  const flagged = report.changes.filter((c) => c.danger.length > 0);
  if (flagged.length > 0) {
    parts.push(
      '',
      '#### :warning: Flagged changes',
      '',
      '| Action | Cloud | Stack | Resource | Type | Why |',
      '|---|---|---|---|---|---|',
    );
    for (const c of flagged)
      parts.push(
        `| ${c.action} | ${c.cloud} | ${cell(c.stack)} | ${code(cell(c.resource))} | ${cell(c.type)} | ${c.danger.map(cell).join('<br>')} |`,
      );
  }
  if (report.routing.length > 0) {
    parts.push(
      '',
      '#### Routing impact (blob backend per client)',
      '',
      '| Cloud Run region | Clients | From | To |',
      '|---|---|---|---|',
    );
    for (const g of groupRouting(report.routing))
      parts.push(`| ${g.region} | ${g.clients.join(', ')} | ${cell(backend(g.from))} | ${cell(backend(g.to))} |`);
  }
  if (report.changes.length > 0) {
    parts.push('', '#### All changes', '');
    let used = parts.join('\n').length;
    const stacks = [...new Set(report.changes.map((c) => `${c.cloud} ${c.stack}`))];
    for (const [index, stack] of stacks.entries()) {
      const changes = report.changes.filter((c) => `${c.cloud} ${c.stack}` === stack);
      const rows = changes.map(
        (c) =>
          `| ${SYMBOL[c.action]} | ${code(cell(c.resource))} | ${cell(c.type)} | ${c.values.map((v) => cell(valueLine(v))).join('<br>')} |`,
      );
      const block = [
        `<details><summary>${stack} (${changes.length})</summary>`,
        '',
        '| | Resource | Type | Changed |',
        '|---|---|---|---|',
        ...rows,
        '',
        '</details>',
      ].join('\n');
      if (used + block.length > MARKDOWN_BUDGET) {
        parts.push(`_${stacks.length - index} more stacks left out to fit a comment: run \`npm run diff\` for all._`);
        break;
      }
      parts.push(block);
      used += block.length;
    }
  }
  return `${parts.join('\n')}\n`;
}

export function render(report: DiffReport, format: Format): string {
  return format === 'json' ? renderJson(report) : format === 'markdown' ? renderMarkdown(report) : renderText(report);
}
