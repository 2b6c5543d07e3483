export { type AppDependencies, createApp } from './app.js';
export { type DatabaseHandle, type OpenDatabaseOptions, openDatabase } from './db/connect.js';
export { AppConfigError, type AppEnv, loadAppEnv } from './env.js';
export type { StartServerOptions } from './server.js';
export { type RunningServer, startServer } from './server.js';
