import express, { Router } from 'express';
import type { SimContext } from '../context.js';
import { faultsMiddleware } from '../faults.js';
import { adminRouter } from './admin.routes.js';
import { chatRouter } from './chat.routes.js';
import { userAuth, wuzErrors } from './http.js';
import { sessionRouter } from './session.routes.js';
import { userRouter } from './user.routes.js';

/** Everything WuzAPI serves, mounted under /wuzapi. Go's decoder ignores Content-Type, so we parse any body as JSON. */
export function wuzapiRouter(ctx: SimContext): Router {
  const r = Router();
  r.use(faultsMiddleware(ctx.store));
  r.use(express.json({ limit: '64mb', type: () => true }));
  r.use(adminRouter(ctx));
  const user = Router();
  user.use(userAuth(ctx));
  user.use(sessionRouter(ctx));
  user.use(chatRouter(ctx));
  user.use(userRouter(ctx));
  r.use(user);
  r.use((_req, res) => {
    res.status(404).json({ code: 404, error: 'not found', success: false });
  });
  r.use(wuzErrors(ctx));
  return r;
}
