export { type LogFn, type Logger, type RedisClient, silentLogger } from './types.js';
