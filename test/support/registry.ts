/**
 * A real CNCF distribution registry (Debian package `docker-registry`) on 127.0.0.1 for integration tests.
 * `const registry = await startRegistry(); ... await registry.stop();` (stop it in afterAll / finally).
 * The starter lives in lib/local (npm run local uses it too).
 */
export { blobDataPath, type LocalRegistry, startRegistry } from '../../lib/local/registry';
