/**
 * zod for a process that parses its configuration once: the redirector. zod's object schemas compile a faster parser
 * of their own (generated code) on their first parse, which pays off over many parses and cost the redirector about
 * 5 ms of its start-up (measured on the first answer), for the one parse it makes. Whether a schema compiles is fixed
 * when the schema is built, so this module is imported before any module that builds one (bin/redirector.ts's first
 * import).
 */
import * as z from 'zod';

z.config({ jitless: true });
