/**
 * Cloud Armor in front of the redirector: preconfigured WAF rules answering 403, then a per-client-IP throttle
 * answering 429, then allow. The rule table is a pure function of the topology's thresholds.
 */
import {
  ComputeSecurityPolicy,
  type ComputeSecurityPolicyRule,
} from '@cdktf/provider-google/lib/compute-security-policy';
import { Construct } from 'constructs';
import type { Topology } from '../../../topology';

/**
 * The preconfigured WAF rule sets production runs (CRS 3.3, `-v33-stable`). `cve-canary` (Log4j and friends) has
 * no versioned name. No `sqli`: the redirector has no database and SQL signatures are the main source of false
 * positives on long registry paths.
 */
export const WAF_RULE_SETS = [
  'protocolattack-v33-stable',
  'methodenforcement-v33-stable',
  'scannerdetection-v33-stable',
  'rce-v33-stable',
  'rfi-v33-stable',
  'sessionfixation-v33-stable',
  'lfi-v33-stable',
  'php-v33-stable',
  'xss-v33-stable',
  'cve-canary',
] as const;

/** WAF rules take priorities from here, one apart, in WAF_RULE_SETS order. */
export const WAF_FIRST_PRIORITY = 1000;
/** The throttle comes after every WAF rule, before the default rule. */
export const THROTTLE_PRIORITY = 10000;
/** The priority Cloud Armor reserves for the default rule. */
export const DEFAULT_RULE_PRIORITY = 2147483647;

export type WafSensitivity = Topology['gcp']['armor']['wafSensitivity'];

export interface ThrottleSettings {
  /** Requests one client IP may make per interval. */
  readonly count: number;
  readonly intervalSeconds: number;
}

/** The match expression of one preconfigured WAF rule set at a sensitivity. */
export function wafExpression(ruleSet: string, sensitivity: WafSensitivity): string {
  return `evaluatePreconfiguredWaf('${ruleSet}', {'sensitivity': ${sensitivity}})`;
}

const EVERY_SOURCE = { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } };

/** Every rule of the policy, in priority order. */
export function securityPolicyRules(
  sensitivity: WafSensitivity,
  throttle: ThrottleSettings,
): ComputeSecurityPolicyRule[] {
  const waf = WAF_RULE_SETS.map((ruleSet, i): ComputeSecurityPolicyRule => ({
    priority: WAF_FIRST_PRIORITY + i,
    action: 'deny(403)',
    description: `WAF: ${ruleSet}`,
    match: { expr: { expression: wafExpression(ruleSet, sensitivity) } },
  }));
  const perClientThrottle: ComputeSecurityPolicyRule = {
    priority: THROTTLE_PRIORITY,
    action: 'throttle',
    description: `At most ${throttle.count} requests per client IP per ${throttle.intervalSeconds} s, then 429`,
    match: EVERY_SOURCE,
    rateLimitOptions: {
      conformAction: 'allow',
      exceedAction: 'deny(429)',
      enforceOnKey: 'IP',
      rateLimitThreshold: { count: throttle.count, intervalSec: throttle.intervalSeconds },
    },
  };
  const allowTheRest: ComputeSecurityPolicyRule = {
    priority: DEFAULT_RULE_PRIORITY,
    action: 'allow',
    description: 'Default: allow',
    match: EVERY_SOURCE,
  };
  return [...waf, perClientThrottle, allowTheRest];
}

export interface RegistrySecurityPolicyProps {
  readonly project: string;
  readonly name: string;
  /** Sensitivity of every WAF rule (1 = fewest false positives): from the topology (`gcp.armor.wafSensitivity`). */
  readonly wafSensitivity: WafSensitivity;
  /** Per-client-IP throttle: from the topology (`gcp.armor.rateLimitCount`, `rateLimitIntervalSeconds`). */
  readonly throttle: ThrottleSettings;
}

export class RegistrySecurityPolicy extends Construct {
  readonly policy: ComputeSecurityPolicy;

  constructor(scope: Construct, id: string, props: RegistrySecurityPolicyProps) {
    super(scope, id);
    this.policy = new ComputeSecurityPolicy(this, 'policy', {
      project: props.project,
      name: props.name,
      type: 'CLOUD_ARMOR',
      description: 'Registry front door: WAF, per-client throttle',
      // Verbose logs name the matched WAF signature: what an operator needs to tune a false positive.
      advancedOptionsConfig: { logLevel: 'VERBOSE' },
      rule: securityPolicyRules(props.wafSensitivity, props.throttle),
    });
  }
}
