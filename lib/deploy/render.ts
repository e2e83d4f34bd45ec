/**
 * The plan as people and tools read it: text (what docs/deploy.md shows, byte for byte) and JSON. Commands are
 * shown as one types them from the repository root.
 */
import { DEPLOY_OUTPUTS } from '../topology';
import type { Command, DeployPlan, Step, Tool } from './plan';

export const PLAN_FORMATS = ['text', 'json'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/** How a tool is typed: the CLIs by name (npm run deploy finds them in node_modules/.bin or on PATH). */
const TYPED: Readonly<Record<Tool, readonly string[]>> = {
  cdk: ['cdk'],
  cdktf: ['cdktf'],
  gcloud: ['gcloud'],
  replicator: ['npm', 'run', '-s', 'replicate', '--'],
};

/** A command as typed, one word per element. */
export function typedCommand(tool: Tool, args: readonly string[]): string[] {
  return [...TYPED[tool], ...args];
}

const WIDTH = 116;

/** Words joined into lines of at most WIDTH characters; a shell command's lines end in ` \` as a shell reads them. */
function wrapped(words: readonly string[], indent: string, shell: boolean): string[] {
  const suffix = shell ? ' \\' : '';
  const continued = shell ? '    ' : '  ';
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent.length + line.length + 1 + word.length + suffix.length > WIDTH) {
      lines.push(`${line}${suffix}`);
      line = `${continued}${word}`;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.map((text) => `${indent}${text}`);
}

const prose = (text: string, indent: string) => wrapped(text.split(' '), indent, false);

function commandLines(command: Command, indent: string): string[] {
  const words = typedCommand(command.tool, command.args);
  if (!command.unless) return wrapped(['$', ...words], indent, true);
  return wrapped(['$', ...typedCommand(command.unless.tool, command.unless.args), '||', ...words], indent, true);
}

function stepLines(step: Step, number: number): string[] {
  const indent = '    ';
  const lines = [`${String(number).padStart(2)}. ${step.id} (${step.tool})`, ...prose(step.summary, indent)];
  for (const command of step.commands) lines.push(...commandLines(command, indent));
  for (const { key, output, stack, consumers } of step.produces) {
    lines.push(...prose(`produces: ${key} (output ${output} of ${stack}) for ${consumers.join(', ')}`, indent));
  }
  for (const { key, from, env, without, fromEarlierRun } of step.consumes) {
    const source = fromEarlierRun ? `${from} (a later step: what its last run produced)` : from;
    const redeploy = fromEarlierRun
      ? `a later step deploys its stacks again once ${from} has produced ${DEPLOY_OUTPUTS[key].description}`
      : `redeploy after ${from} whenever ${DEPLOY_OUTPUTS[key].description} changes (a full run does)`;
    lines.push(
      ...prose(`consumes: ${key} from ${source}, as ${env}`, indent),
      ...prose(`until it exists: ${without}`, indent),
      ...prose(redeploy, indent),
    );
  }
  return lines;
}

export function renderPlanText(plan: DeployPlan): string {
  const regular = plan.steps.filter((step) => !step.onDemand);
  const onDemand = plan.steps.filter((step) => step.onDemand);
  const lines = [
    `Deploy plan for ${plan.topology}: ${regular.length} steps${onDemand.length > 0 ? `, ${onDemand.length} on demand` : ''}.`,
    ...prose(
      'npm run deploy runs the steps in order; --only STEP runs one, --from STEP resumes at one. Each stack deploy ' +
        'gets --outputs-file, and each produced value is handed to its consumers in the environment.',
      '',
    ),
    '',
    'Before the first step:',
    ...plan.prerequisites.flatMap((text) => prose(`- ${text}`, '  ')),
  ];
  plan.steps.forEach((step, i) => {
    if (step.onDemand && i === regular.length) lines.push('', 'On demand (only with --only STEP):');
    lines.push('', ...stepLines(step, i + 1));
  });
  return `${lines.join('\n')}\n`;
}

/** The JSON form: the plan with each command as the words one types. */
export function renderPlanJson(plan: DeployPlan): string {
  const json = {
    topology: plan.topology,
    prerequisites: plan.prerequisites,
    steps: plan.steps.map((step) => ({
      id: step.id,
      tool: step.tool,
      summary: step.summary,
      stacks: step.stacks,
      commands: step.commands.map((command) => ({
        argv: typedCommand(command.tool, command.args),
        ...(command.unless ? { unless: typedCommand(command.unless.tool, command.unless.args) } : {}),
      })),
      produces: step.produces,
      consumes: step.consumes,
      onDemand: step.onDemand,
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function renderPlan(plan: DeployPlan, format: PlanFormat): string {
  return format === 'json' ? renderPlanJson(plan) : renderPlanText(plan);
}
