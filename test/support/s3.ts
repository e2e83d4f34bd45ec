/**
 * A real S3-compatible server (s3rver) on 127.0.0.1 for integration tests. Start it in beforeAll, stop it in
 * afterAll: `const s3 = await startS3(['bucket-a']); ... await s3.stop();` The starter lives in lib/local
 * (npm run local uses it too).
 */
export { type LocalS3, startS3, type StoredObject } from '../../lib/local/s3';
