import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Starts a throwaway PostgreSQL server when the machine has one, and tells the workers what
    // optional back ends (PostgreSQL, Chromium) this run has.
    globalSetup: ['test/support/global-setup.ts'],
    // Database tests fsync on every commit and the console tests drive a real browser, so the
    // limits are generous; a hung test still fails instead of stalling CI forever.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Child processes rather than worker threads: better-sqlite3 is a native addon, and a crash
    // in one test file should not take the others down with it.
    pool: 'forks',
    // CI machines have two cores. More workers than cores only makes fsync-heavy tests slower
    // and their timing noisier.
    maxWorkers: 2,
  },
});
