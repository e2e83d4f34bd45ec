/**
 * Jest setup for every test file: V8 compiles WebAssembly with its baseline compiler only (Liftoff).
 * aws-cdk-lib's CloudFormation validation (on in a default `new App()`) runs a 9 MB WebAssembly module, which V8 goes
 * on optimizing in the background; a process that ran it took 1.1 s to exit after its last line (0.1 s without it),
 * past the 500 ms jest gives a worker to end: test/clouds/aws/app.test.ts alone in a worker was force-exited ("A
 * worker process has failed to exit gracefully") every time. With Liftoff only, the same process ended in 0.13 s, and
 * the small topology's validated synth was no slower (4.6-4.8 s against 5.1, measured). A whole `npm test` still
 * force-exits one worker, for a reason not found. The flag is the process's own, so it holds for every later file.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
