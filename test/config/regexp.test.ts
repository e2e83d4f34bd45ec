import { escapeRegExp } from '../../lib/config/regexp';

describe('escapeRegExp', () => {
  it.each(['containers/images/', 'a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o', 'Microsoft.Storage/storageAccounts/write'])(
    '%s matches only itself',
    (text) => {
      const pattern = new RegExp(`^${escapeRegExp(text)}$`);
      expect(pattern.test(text)).toBe(true);
      expect(pattern.test(`${text}x`)).toBe(false);
      expect(pattern.test(text.replace(/[./*]/, 'X'))).toBe(text.search(/[./*]/) < 0);
    },
  );
});
