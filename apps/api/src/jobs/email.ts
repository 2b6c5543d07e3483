import type { JobHandler } from '@redis-toolkit/jobs';
import type { Logger } from 'pino';
import type { MailSink } from './mail-sink.js';
import type { EmailJob } from './types.js';

/** Recipients at this domain fail their first delivery attempt: watch the retry in /dev/mail. */
export const FAIL_ONCE_DOMAIN = 'fail.test';
/** Recipients at this domain always fail: the job ends in `failed` after its 3 attempts. */
export const ALWAYS_FAIL_DOMAIN = 'bounce.test';

export class SimulatedDeliveryError extends Error {
  override name = 'SimulatedDeliveryError';
}

/**
 * The `email` queue's handler. The reference app has no SMTP server: outside production every
 * attempt lands in the development mail sink (GET /dev/mail); in production e-mails are only
 * logged (recipient and template, never the text: it holds live tokens), which is where a real
 * transport would go. A throw is a failed attempt, retried by the queue (3 attempts, backoff).
 */
export function emailHandler({
  sink,
  logger,
  production,
}: {
  sink: MailSink;
  logger: Logger;
  production: boolean;
}): JobHandler<EmailJob> {
  let warned = false;
  return (job) => {
    const { to, subject, text, template } = job.data;
    const domain = to.slice(to.lastIndexOf('@') + 1).toLowerCase();
    const failure =
      domain === ALWAYS_FAIL_DOMAIN
        ? `simulated permanent failure for @${ALWAYS_FAIL_DOMAIN}`
        : domain === FAIL_ONCE_DOMAIN && job.attempt === 1
          ? `simulated transient failure for @${FAIL_ONCE_DOMAIN} (first attempt only)`
          : undefined;
    const entry = { jobId: job.id, to, subject, text, template, attempt: job.attempt };
    if (failure) {
      if (!production) sink.record({ ...entry, status: 'failed', error: failure });
      throw new SimulatedDeliveryError(failure);
    }
    if (production) {
      if (!warned) {
        warned = true;
        logger.warn('no mail transport in this reference app: e-mails are logged, not sent');
      }
      logger.info({ to, template, jobId: job.id, attempt: job.attempt }, 'e-mail (not sent)');
      return;
    }
    sink.record({ ...entry, status: 'delivered' });
    logger.debug({ to, template, jobId: job.id, attempt: job.attempt }, 'e-mail in the dev sink');
  };
}
