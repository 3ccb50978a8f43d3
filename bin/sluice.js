#!/usr/bin/env node
// Runs the TypeScript command line directly: Sluice ships its sources and compiles them on load.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
