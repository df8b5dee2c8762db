/**
 * The gateway's wire types, by name, from the generated openapi.gen.ts (its zod schemas): the web
 * app's API types come only from there. `npm run gen:api` after a schema changes.
 */
import type { components, paths } from './openapi.gen';

/** A named shape of the API (a component of /api/openapi.json). */
export type Schema<K extends keyof components['schemas']> = components['schemas'][K];

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Ok<R> = R extends { 200: infer A } ? Json<A> : R extends { 201: infer A } ? Json<A> : R extends { 202: infer A } ? Json<A> : never;

/** What an operation answers on success, e.g. `ResponseOf<'/api/devices/{id}/qr', 'get'>`. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? Ok<R> : never;

/** The JSON body an operation takes. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

/** Every event the socket sends (`RealtimeEvent`, a union on `type`). */
export type RealtimeEvent = Schema<'RealtimeEvent'>;
export type RealtimeEventType = RealtimeEvent['type'];
/** The event of one type, its `data` typed. */
export type EventOf<T extends RealtimeEventType> = Extract<RealtimeEvent, { type: T }>;
