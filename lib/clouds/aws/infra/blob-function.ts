/**
 * The CDN's viewer-request CloudFront Function: an allow-list that answers 404 to everything but GET/HEAD of a
 * blob, `/containers/images/sha256:<64 lowercase hex>`. The code is built here, in one place, from the bucket
 * layout; the stack deploys it and the tests execute the very same text in node.
 */
import { escapeRegExp } from '../../../config/regexp';
import { BLOB_PREFIX } from '../../../topology/blob-layout';

/** The only request paths the CDN serves. */
export const BLOB_PATH_PATTERN = new RegExp(`^/${escapeRegExp(BLOB_PREFIX)}sha256:[a-f0-9]{64}$`);

/** The only request methods the CDN serves. */
export const BLOB_METHODS: readonly string[] = ['GET', 'HEAD'];

/**
 * JavaScript for the cloudfront-js-2.0 runtime. It must stay self-contained (no imports, no closures over this
 * module): CloudFront runs the text, not this file.
 */
export function blobAllowListFunctionCode(): string {
  return [
    `var BLOB_PATH = ${BLOB_PATH_PATTERN.toString()};`,
    `var METHODS = ${JSON.stringify(BLOB_METHODS)};`,
    'function handler(event) {',
    '  var request = event.request;',
    '  if (METHODS.indexOf(request.method) !== -1 && BLOB_PATH.test(request.uri)) return request;',
    "  return { statusCode: 404, statusDescription: 'Not Found' };",
    '}',
    '',
  ].join('\n');
}
