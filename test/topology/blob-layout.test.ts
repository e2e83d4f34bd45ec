import { blobKey, markerKey } from '../../lib/topology/blob-layout';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('blob layout', () => {
  it('keeps blobs and markers under their fixed prefixes (GCR layout)', () => {
    expect(blobKey(DIGEST)).toBe(`containers/images/${DIGEST}`);
    expect(markerKey(DIGEST)).toBe(`geranos/uploaded-images/${DIGEST}`);
  });
});
