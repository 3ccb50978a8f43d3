#!/usr/bin/env -S node --max-semi-space-size=64
// Runs the TypeScript command line directly: Sluice ships its sources and compiles them on load.
// The larger young generation (64 MB semi-spaces, against 16 MB by default) lets the short-lived
// objects of a request die young instead of being copied and promoted: about 15 % less CPU per
// transfer on the HTTP path (docs/benchmarks.md, "The young generation"). docs/operations.md says
// how to run with another size.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
