import { Router } from 'express';
import type { MailSink } from '../jobs/mail-sink.js';
import { query } from '../validate.js';
import { devMailQuery } from './dev-mail-schemas.js';

/**
 * GET /dev/mail: what the `email` workers of this instance "sent" (school verification, reset and
 * invite e-mails, failed attempts included). Not mounted in production, where it is a 404.
 */
export function devMailRoutes(sink: MailSink): Router {
  const router = Router();
  router.get('/dev/mail', (req, res) => {
    const { to, limit } = query(req, devMailQuery);
    res.json({ mails: sink.list({ ...(to ? { to } : {}), limit }) });
  });
  return router;
}
