// Loads the WAHA OpenAPI document and loosens a copy in memory exactly as ENGINES.md says, so real
// traffic validates while wrong types still fail. Shared with the gateway's adapter contract test.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { AnySchema, ErrorObject, ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;
export interface ContractResult { ok: boolean; errors: string[] }
export interface WahaContract {
  /** Validate against `#/components/schemas/<name>` of the loosened document. */
  validate(schemaName: string, value: unknown): ContractResult;
  /** Validate a webhook body against the schema the document lists for its `event`. */
  validateWebhook(body: unknown): ContractResult;
  /** Validate a request body against the operation's declared body schema (required arrays kept). */
  validateRequestBody(method: string, apiPath: string, body: unknown): ContractResult;
  /** Validate a response body when the operation declares a JSON schema for that status. */
  validateResponse(method: string, apiPath: string, status: number, body: unknown): ContractResult;
  /** The schema name `#/components/schemas/<name>` an event's webhook uses, if any. */
  webhookSchemaName(event: string): string | null;
  schemaNames(): string[];
}

const FILE_NAME = 'waha-openapi-2026.7.1.json';
const DOC_ID = 'https://waha.local/openapi.json';

/** The document lives beside the repository: <repoRoot>/../shared/contracts/. */
export function defaultWahaContractPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url)); // engine-sim/src/contract or dist/contract
  const repoRoot = path.resolve(here, '..', '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'contracts', FILE_NAME);
}

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else'];

/** Everywhere: drop boolean `required` and `nullable`; every `type` (and enum) also admits null. */
function loosenNode(node: unknown): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const s = node as Json;
  if (typeof s.required === 'boolean') delete s.required;
  delete s.nullable;
  if (typeof s.type === 'string') s.type = [s.type, 'null'];
  else if (Array.isArray(s.type) && !s.type.includes('null')) s.type = [...s.type, 'null'];
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
  for (const k of SCHEMA_MAPS) {
    const m = s[k];
    if (m && typeof m === 'object') for (const v of Object.values(m as Json)) loosenNode(v);
  }
  for (const k of SCHEMA_LISTS) if (Array.isArray(s[k])) for (const v of s[k] as unknown[]) loosenNode(v);
  for (const k of SCHEMA_ONE) {
    const v = s[k];
    if (Array.isArray(v)) v.forEach(loosenNode);
    else if (v && typeof v === 'object') loosenNode(v);
  }
}

/** Webhooks: envelopes carry a string `event` and require only what real deliveries always hold. */
function loosenWebhooks(schemas: Json): void {
  for (const [name, raw] of Object.entries(schemas)) {
    if (!name.startsWith('WAHAWebhook')) continue;
    const s = raw as Json;
    const props = (s.properties ?? {}) as Json;
    const ev = (props.event ?? {}) as Json;
    const enumValues = Array.isArray(ev.enum) ? ev.enum : undefined;
    props.event = { type: 'string', ...(enumValues ? { enum: enumValues.filter((v) => v !== null) } : {}) };
    s.required = ['id', 'timestamp', 'event', 'session', 'payload'];
  }
  const setRequired = (name: string, req: string[] | null) => {
    const s = schemas[name] as Json | undefined;
    if (!s) return;
    if (req) s.required = req;
    else delete s.required;
  };
  setRequired('WAMessage', ['id', 'timestamp', 'from', 'fromMe']);
  setRequired('WAMessageAckBody', ['id', 'ack']);
  setRequired('WAHAEnvironment', null);
  // Same flaw as the envelope's `event`: webhook event names are strings, the document types them object.
  const hookEvents = ((schemas.WebhookConfig as Json | undefined)?.properties as Json | undefined)?.events as Json | undefined;
  if (hookEvents) hookEvents.items = { type: ['string', 'null'] };
}

/** The loosened copy: components.schemas plus each operation's JSON request/response schemas. */
export function loosenWahaDocument(doc: Json): Json {
  const copy = structuredClone(doc) as Json;
  const components = (copy.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Json;
  for (const s of Object.values(schemas)) loosenNode(s);
  loosenWebhooks(schemas);
  for (const item of Object.values((copy.paths ?? {}) as Json)) {
    for (const op of Object.values(item as Json)) {
      if (!op || typeof op !== 'object') continue;
      const o = op as Json;
      const bodySchema = jsonSchemaOf(o.requestBody);
      if (bodySchema) loosenNode(bodySchema);
      for (const r of Object.values((o.responses ?? {}) as Json)) {
        const rs = jsonSchemaOf(r);
        if (rs) loosenNode(rs);
      }
    }
  }
  return copy;
}

function jsonSchemaOf(holder: unknown): Json | undefined {
  const content = (holder as { content?: Record<string, { schema?: Json }> } | undefined)?.content;
  return content?.['application/json']?.schema;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const formatErrors = (errs: ErrorObject[] | null | undefined): string[] =>
  (errs ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);

interface AjvLike {
  addSchema(schema: AnySchema, key?: string): unknown;
  getSchema(ref: string): ValidateFunction | undefined;
}

/** Returns null when the document is absent, so tests can skip (never pass) on its absence. */
export function loadWahaContract(file: string = defaultWahaContractPath()): WahaContract | null {
  if (!existsSync(file)) return null;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const loose = loosenWahaDocument(doc);
  // ajv's CJS default export does not type well under NodeNext; require keeps it simple.
  const require = createRequire(import.meta.url);
  const Ajv2020 = (require('ajv/dist/2020') as { default: new (o: object) => AjvLike }).default;
  const addFormats = (require('ajv-formats') as { default: (a: AjvLike) => void }).default;
  const ajv = new Ajv2020({ strict: false, allowUnionTypes: true, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: loose.components, paths: loose.paths } as AnySchema);

  const cache = new Map<string, ValidateFunction>();
  const run = (pointer: string, value: unknown): ContractResult => {
    let fn = cache.get(pointer);
    if (!fn) {
      fn = ajv.getSchema(`${DOC_ID}#${pointer}`);
      if (!fn) return { ok: false, errors: [`no schema at ${pointer}`] };
      cache.set(pointer, fn);
    }
    const ok = fn(value) as boolean;
    return { ok, errors: ok ? [] : formatErrors(fn.errors) };
  };
  const schemas = ((loose.components as Json).schemas ?? {}) as Json;
  const webhooks = (doc.webhooks ?? {}) as Json;
  const paths = (loose.paths ?? {}) as Json;
  const opOf = (method: string, apiPath: string): Json | undefined =>
    (paths[apiPath] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;

  const webhookSchemaName = (event: string): string | null => {
    const ref = jsonSchemaOf(((webhooks[event] as Json | undefined)?.post as Json | undefined)?.requestBody)?.$ref;
    return typeof ref === 'string' ? ref.split('/').pop() ?? null : null;
  };

  return {
    schemaNames: () => Object.keys(schemas),
    webhookSchemaName,
    validate: (name, value) =>
      name in schemas ? run(`/components/schemas/${escapePointer(name)}`, value) : { ok: false, errors: [`unknown schema ${name}`] },
    validateWebhook: (body) => {
      const event = (body as { event?: unknown } | null)?.event;
      const name = typeof event === 'string' ? webhookSchemaName(event) : null;
      if (!name) return { ok: false, errors: [`no webhook schema for event ${String(event)}`] };
      return run(`/components/schemas/${escapePointer(name)}`, body);
    },
    validateRequestBody: (method, apiPath, body) => {
      if (!jsonSchemaOf(opOf(method, apiPath)?.requestBody)) return { ok: false, errors: [`no request body schema for ${method} ${apiPath}`] };
      return run(`/paths/${escapePointer(apiPath)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`, body);
    },
    validateResponse: (method, apiPath, status, body) => {
      const responses = (opOf(method, apiPath)?.responses ?? {}) as Json;
      if (!jsonSchemaOf(responses[String(status)])) return { ok: false, errors: [`no response schema for ${method} ${apiPath} ${status}`] };
      return run(`/paths/${escapePointer(apiPath)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`, body);
    },
  };
}
