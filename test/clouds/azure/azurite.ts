/**
 * Microsoft's Azurite blob service on 127.0.0.1 for integration tests, standing for the Azure mirrors' storage
 * accounts: `const azurite = await startAzurite(['accountweu']); ... await azurite.stop();` in beforeAll/afterAll.
 * The starter lives in lib/local (npm run local uses it too).
 */
export { type LocalAzurite, startAzurite } from '../../../lib/local/azurite';
