import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type RequestHandler, Router } from 'express';
import { HttpError } from '../validate.js';
import type { AppJobQueues } from './app-jobs.js';

export const BOARD_PATH = '/admin/queues';

/**
 * bull-board for operators at /admin/queues, behind `guard`. Built on the first request, so an
 * instance nobody opens the board on holds no extra connection. Without Redis (inline jobs) there
 * is nothing to show: 503 naming the setting.
 */
export function jobsBoard(jobs: AppJobQueues, guard: RequestHandler[]): Router {
  const router = Router();
  let board: RequestHandler | undefined;
  const build = (): RequestHandler | undefined => {
    const bull = jobs.bullQueues();
    if (!bull) return undefined;
    const adapter = new ExpressAdapter();
    adapter.setBasePath(BOARD_PATH);
    createBullBoard({
      queues: bull.queues.map((q) => new BullMQAdapter(q)),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'redis-toolkit api jobs' } },
    });
    return adapter.getRouter() as RequestHandler;
  };
  router.use(BOARD_PATH, ...guard, (req, res, next) => {
    board ??= build();
    if (!board)
      throw new HttpError(
        503,
        'jobs_inline',
        'No job queues to show: jobs run in this process (DISABLE_BACKGROUND_JOBS=true or REDIS_ENABLED=false)',
      );
    board(req, res, next);
  });
  return router;
}
