import { cloudRunMemoryBytes } from '../../../lib/clouds/gcp/section';

describe('cloudRunMemoryBytes', () => {
  it.each([
    ['512Mi', 512 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['2048Mi', 2 * 1024 ** 3],
    ['32Gi', 32 * 1024 ** 3],
  ])('%s is %d bytes', (value, bytes) => {
    expect(cloudRunMemoryBytes(value)).toBe(bytes);
  });

  it.each(['512', '512M', '1G', '0.5Gi', ' 512Mi', '512Mi ', 'Mi', ''])('refuses %j, naming it', (value) => {
    expect(() => cloudRunMemoryBytes(value)).toThrow(
      `${JSON.stringify(value)} is not a Cloud Run memory value like "512Mi" or "1Gi"`,
    );
  });
});
