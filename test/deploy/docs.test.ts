/** docs/deploy.md shows the plan the command prints and the roles the preflight tests, so neither can drift. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployPlan } from '../../lib/deploy/plan';
import { neededPermissions } from '../../lib/deploy/preflight/gcp';
import { renderPlanText } from '../../lib/deploy/render';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../lib/topology';

const DOC = readFileSync(join(__dirname, '../../docs/deploy.md'), 'utf8');
const topology = parseTopology(DEFAULT_TOPOLOGY, 'default');

/** The fenced block between the markers. */
function planBlock(doc: string): string {
  const match = /<!-- deploy-plan:start -->\s*```text\n([\s\S]*?)```\s*<!-- deploy-plan:end -->/.exec(doc);
  if (!match) throw new Error('docs/deploy.md has no deploy-plan block between its markers');
  return match[1]!;
}

describe('docs/deploy.md', () => {
  it('shows exactly what npm run -s deploy -- --plan prints for the default topology', () => {
    expect(planBlock(DOC)).toBe(renderPlanText(deployPlan(topology)));
  });

  it('lists every Google role the preflight asks for', () => {
    const roles = new Set([...neededPermissions(topology).values()].flat().map((needed) => needed.role));
    for (const role of roles) expect([role, DOC.includes(`| ${role} `)]).toEqual([role, true]);
  });
});
