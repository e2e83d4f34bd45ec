export { freePort } from '../../lib/local/ports';
