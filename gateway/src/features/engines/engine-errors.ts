import { AppError } from '../../platform/errors.js';

/** The three ways an engine call fails, as the API reports them. */
export const engineUnreachable = (engine: string, cause?: string) =>
  new AppError('engine_unreachable', 503, `The ${engine} engine cannot be reached${cause ? ` (${cause})` : ''}`);

export const engineTimeout = (engine: string, ms: number) =>
  new AppError('engine_timeout', 504, `The ${engine} engine did not answer within ${ms} ms`);

export const engineRejected = (engine: string, status: number, engineMessage: string) =>
  new AppError('engine_rejected', 502, `The ${engine} engine refused the call (${status}): ${engineMessage}`, {
    engineStatus: status,
    engineMessage,
  });
