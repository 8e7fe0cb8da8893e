// Kept in step with package.json by scripts/sync-version.mjs (run by `npm version`).
export const version = '0.1.0';
