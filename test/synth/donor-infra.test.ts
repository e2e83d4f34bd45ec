/** Loading a donor's infrastructure half by the path its runtime half names: refused unless it answers for the donor. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Donor } from '../../lib/clouds/donor';
import { DONORS } from '../../lib/clouds/donors';
import { DonorInfraError, loadDonorInfra } from '../../lib/synth/donor-infra';
import { SYNTH_TARGETS } from '../../lib/synth/targets';

const root = mkdtempSync(join(tmpdir(), 'donor-infra-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const donor = (infra?: string): Donor => ({ ...DONORS[0], id: 'fict', infra });

describe('loadDonorInfra', () => {
  it("loads every registered donor's half, each answering for its donor", () => {
    for (const registered of DONORS) expect(loadDonorInfra(registered).id).toBe(registered.id);
    expect(SYNTH_TARGETS.map((t) => t.donor)).toEqual(DONORS.map((d) => d.id));
  });

  it.each<[string, string | undefined, string | undefined, RegExp]>([
    ['names none', undefined, undefined, /^donor fict names no infrastructure module$/],
    ['is missing', 'missing', undefined, /^donor fict: cannot load missing: Cannot find module/],
    [
      'exports none',
      'none',
      'exports.other = 1;',
      /^donor fict: none must export donorInfra with id "fict" \(it exports none\)$/,
    ],
    [
      "is another donor's",
      'other',
      "exports.donorInfra = { id: 'aws' };",
      /^donor fict: other must export donorInfra with id "fict" \(its id is "aws"\)$/,
    ],
  ])('refuses a module that %s', (_name, path, text, message) => {
    if (path && text) writeFileSync(join(root, `${path}.js`), text);
    expect(() => loadDonorInfra(donor(path), root)).toThrow(DonorInfraError);
    expect(() => loadDonorInfra(donor(path), root)).toThrow(message);
  });
});
