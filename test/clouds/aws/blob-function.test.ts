import { runInNewContext } from 'node:vm';
import { blobAllowListFunctionCode, BLOB_PATH_PATTERN } from '../../../lib/clouds/aws/infra/blob-function';

interface CloudFrontResponse {
  statusCode: number;
  statusDescription: string;
}
type Handler = (event: { request: { method: string; uri: string } }) => unknown;

/** The deployed text, evaluated the way CloudFront does: a script defining `handler`, nothing else in scope. */
function loadHandler(): Handler {
  return runInNewContext(`${blobAllowListFunctionCode()}\nhandler;`, {}) as Handler;
}

const HEX = 'a'.repeat(40) + '0123456789abcdef01234567';
if (HEX.length !== 64) throw new Error('fixture digest must have 64 hex digits');
const DIGEST = `sha256:${HEX}`;

describe('the CDN viewer-request function', () => {
  const handler = loadHandler();

  it.each([
    ['GET', `/containers/images/${DIGEST}`],
    ['HEAD', `/containers/images/${DIGEST}`],
  ])('passes %s %s through unchanged', (method, uri) => {
    const request = { method, uri, headers: {} };
    expect(handler({ request })).toBe(request);
  });

  it.each([
    ['POST', `/containers/images/${DIGEST}`],
    ['PUT', `/containers/images/${DIGEST}`],
    ['DELETE', `/containers/images/${DIGEST}`],
    ['OPTIONS', `/containers/images/${DIGEST}`],
    ['get', `/containers/images/${DIGEST}`],
    ['GET', '/'],
    ['GET', '/containers/images/'],
    ['GET', `/containers/images/sha256:${HEX.slice(1)}`],
    ['GET', `/containers/images/sha256:${HEX}0`],
    ['GET', `/containers/images/sha256:${HEX.toUpperCase()}`],
    ['GET', `/containers/images/sha256:${HEX.slice(1)}g`],
    ['GET', `/containers/images/sha512:${HEX}${HEX}`],
    ['GET', `/containers/images/${DIGEST}/`],
    ['GET', `/containers/images/${DIGEST}.json`],
    ['GET', `//containers/images/${DIGEST}`],
    ['GET', `/containers/images/../images/${DIGEST}`],
    ['GET', `/v2/library/busybox/blobs/${DIGEST}`],
    ['GET', `/geranos/uploaded-images/${DIGEST}`],
    ['GET', `/containers/images/${DIGEST}\n`],
  ])('answers 404 to %s %j', (method, uri) => {
    const response = handler({ request: { method, uri } }) as CloudFrontResponse;
    expect(response).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });

  it('embeds the same pattern the module exports', () => {
    expect(blobAllowListFunctionCode()).toContain(BLOB_PATH_PATTERN.toString());
    expect(BLOB_PATH_PATTERN.test(`/containers/images/${DIGEST}`)).toBe(true);
  });
});
