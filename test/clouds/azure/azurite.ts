/**
 * Microsoft's Azurite blob service on 127.0.0.1 for the Azure tests: the one npm run local starts
 * (lib/local/azurite.ts). `const azurite = await startAzurite(['testweu']); ... await azurite.stop();`
 */
export { type LocalAzurite, startAzurite } from '../../../lib/local/azurite';
