export { type AppDependencies, createApp } from './app.js';
export { AppConfigError, type AppEnv, loadAppEnv } from './env.js';
export { type RunningServer, startServer } from './server.js';
