export * from './assert.ts';
export * from './clock.ts';
export * from './ids.ts';
export * from './limits.ts';
export * from './money.ts';
export * from './result.ts';
export * from './batch-queue.ts';
export * from './random.ts';
