// The WuzAPI face as the real handlers define it: request bodies each handler decodes and answers it
// gives, read in asternic/wuzapi at upstream commit 30c1805720c630b4ecfc842dd3ff63966c3ba315 (through
// the zapperapi/wuzapi fork, head f6bfed9145a1848c95188f1b6e74ece4f2f2a4c7), plus what users reported
// in public issues. Each fixture names its source. Checks return the problems found (empty: conforms).
type Obj = Record<string, unknown>;
const COMMIT = '30c1805720c630b4ecfc842dd3ff63966c3ba315';
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface RequestFixture {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  source: string;
  /** Fields the handler's struct decodes, with their Go types (json: string | number | boolean | string[] | object). */
  fields: Record<string, 'string' | 'number' | 'boolean' | 'string[]' | 'object'>;
  /** Fields it refuses to go without. */
  required: string[];
  /** Extra rules the handler enforces. */
  rules?: ((body: Obj) => string | null)[];
}

const goField = (body: Obj, name: string) => Object.entries(body).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

export const REQUESTS: RequestFixture[] = [
  { method: 'POST', path: '/admin/users', source: `handlers.go AddUser @${COMMIT}`, fields: { name: 'string', token: 'string', webhook: 'string', events: 'string', hmacKey: 'string', history: 'number', expiration: 'number' }, required: ['name', 'token'],
    rules: [(b) => (typeof b.hmacKey === 'string' && b.hmacKey !== '' && b.hmacKey.length < 32 ? 'hmacKey shorter than 32 characters' : null)] },
  { method: 'POST', path: '/session/connect', source: `handlers.go Connect @${COMMIT}`, fields: { Subscribe: 'string[]', Immediate: 'boolean' }, required: [] },
  { method: 'POST', path: '/webhook', source: `handlers.go SetWebhook @${COMMIT}`, fields: { webhookurl: 'string', events: 'string[]' }, required: [] },
  { method: 'POST', path: '/session/pairphone', source: `handlers.go PairPhone @${COMMIT}`, fields: { Phone: 'string' }, required: ['Phone'] },
  { method: 'POST', path: '/chat/send/text', source: `handlers.go SendMessage @${COMMIT}`, fields: { Phone: 'string', Body: 'string', Id: 'string', ContextInfo: 'object' }, required: ['Phone', 'Body'] },
  { method: 'POST', path: '/chat/send/image', source: `handlers.go SendImage @${COMMIT}`, fields: { Phone: 'string', Image: 'string', Caption: 'string', Id: 'string', MimeType: 'string', ContextInfo: 'object' }, required: ['Phone', 'Image'],
    rules: [(b) => (typeof b.Image === 'string' && !b.Image.startsWith('data:image') && !/^https?:\/\//.test(b.Image) ? 'Image is neither data:image… nor a URL' : null)] },
  { method: 'POST', path: '/chat/send/audio', source: `handlers.go SendAudio @${COMMIT}`, fields: { Phone: 'string', Audio: 'string', Id: 'string', mimetype: 'string', ptt: 'boolean', ContextInfo: 'object' }, required: ['Phone', 'Audio'],
    rules: [(b) => (typeof b.Audio === 'string' && !b.Audio.startsWith('data:audio/') ? 'Audio does not start with data:audio/' : null)] },
  { method: 'POST', path: '/chat/send/document', source: `handlers.go SendDocument @${COMMIT}`, fields: { Phone: 'string', Document: 'string', FileName: 'string', Caption: 'string', Id: 'string', MimeType: 'string', ContextInfo: 'object' }, required: ['Phone', 'Document', 'FileName'],
    rules: [(b) => (typeof b.Document === 'string' && !b.Document.startsWith('data:application/octet-stream') ? 'Document is not data:application/octet-stream;base64,…' : null)] },
  { method: 'POST', path: '/chat/markread', source: `handlers.go MarkRead @${COMMIT}`, fields: { Id: 'string[]', ChatPhone: 'string', SenderPhone: 'string', Chat: 'string', Sender: 'string' }, required: ['Id'] },
];

const typeOk = (v: unknown, t: string) =>
  t === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : t === 'object' ? isObj(v) : typeof v === t;

/** Problems of a request the adapter sent, against the handler's struct (Go ignores unknown fields, but a wrong type fails decoding). */
export function checkRequest(method: string, path: string, body: unknown): string[] {
  const f = REQUESTS.find((r) => r.method === method && r.path === path);
  if (!f) return [];
  if (!isObj(body)) return [`${f.source}: body is not a JSON object`];
  const out: string[] = [];
  for (const [name, t] of Object.entries(f.fields)) {
    const v = goField(body, name);
    if (v !== undefined && v !== null && !typeOk(v, t)) out.push(`${f.source}: ${name} should be ${t}`);
  }
  for (const name of f.required) {
    const v = goField(body, name);
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) out.push(`${f.source}: ${name} is required`);
  }
  for (const rule of f.rules ?? []) {
    const p = rule(body);
    if (p) out.push(`${f.source}: ${p}`);
  }
  return out;
}

export interface AnswerFixture {
  name: string;
  source: string;
  check: (status: number, body: unknown) => string[];
}

const envelope = (status: number, body: unknown, dataOk: (d: unknown) => boolean, want: string): string[] => {
  if (!isObj(body) || body.code !== status || body.success !== (status < 400)) return [`envelope {code, data|error, success} expected, got ${JSON.stringify(body).slice(0, 120)}`];
  return status < 400 && !dataOk(body.data) ? [`data should be ${want}`] : [];
};

export const ANSWERS: Record<string, AnswerFixture> = {
  historyIndex: {
    name: 'GET /chat/history?chat_jid=index', source: `handlers.go GetHistory @${COMMIT}`,
    check: (st, b) => envelope(st, b, (d) => isObj(d) && Object.values(d).every((list) => Array.isArray(list) && list.every((e) => isObj(e) && Object.keys(e).sort().join() === 'chat_jid,last_updated')), 'a map userId → [{chat_jid, last_updated}]'),
  },
  historyRows: {
    name: 'GET /chat/history?chat_jid=X&limit=N', source: `handlers.go GetHistory, db.go HistoryMessage @${COMMIT}`,
    check: (st, b) => envelope(st, b, (d) => d === null || (Array.isArray(d) && d.every((r) => isObj(r) && typeof r.id === 'number' && typeof r.user_id === 'string' && typeof r.message_id === 'string' && typeof r.timestamp === 'string' && typeof r.data_json === 'string' && !('offset' in r))), 'null (empty chat) or rows {id, user_id, chat_jid, sender_jid, message_id, timestamp, message_type, text_content, media_link, quoted_message_id?, data_json}'),
  },
  historyOff: {
    name: 'GET /chat/history with history 0', source: `handlers.go GetHistory @${COMMIT}`,
    check: (st, b) => (st === 501 && isObj(b) && b.error === 'message history is disabled for this user' ? [] : [`501 "message history is disabled for this user" expected, got ${st}`]),
  },
  addUser: {
    name: 'POST /admin/users', source: `handlers.go AddUser @${COMMIT}`,
    check: (st, b) => envelope(st, b, (d) => isObj(d) && typeof d.id === 'string' && /^[0-9a-f]{32}$/.test(d.id), '{id: 32 hex, name, token, …}'),
  },
  duplicateToken: {
    name: 'POST /admin/users with a token in use', source: `handlers.go AddUser @${COMMIT}`,
    check: (st, b) => (st === 409 && isObj(b) && b.error === 'user with this token already exists' ? [] : [`409 "user with this token already exists" expected, got ${st}`]),
  },
  sent: {
    name: 'POST /chat/send/*', source: `handlers.go SendMessage/SendDocument @${COMMIT}`,
    check: (st, b) => envelope(st, b, (d) => isObj(d) && d.Details === 'Sent' && typeof d.Timestamp === 'number' && typeof d.Id === 'string', '{Details: "Sent", Timestamp: unix seconds, Id}'),
  },
};

/**
 * A HistorySync webhook (wmiau.go myEventHandler, *events.HistorySync): `event.Data` with numeric
 * `syncType` (users report 3 = RECENT on connect and 2 = FULL: asternic/wuzapi#102), conversations
 * `{ID, name?, messages: [{message: {key: {remoteJID, fromMe, ID, participant?}, message, messageTimestamp}}]}`.
 */
export function checkHistorySync(post: unknown): string[] {
  const src = `wmiau.go myEventHandler HistorySync @${COMMIT}`;
  if (!isObj(post) || post.type !== 'HistorySync') return [`${src}: type HistorySync expected`];
  const data = isObj(post.event) ? post.event.Data : undefined;
  if (!isObj(data)) return [`${src}: event.Data expected`];
  const out: string[] = [];
  if (typeof data.syncType !== 'number') out.push(`${src}: syncType is a number (enum through encoding/json)`);
  for (const c of Array.isArray(data.conversations) ? data.conversations : []) {
    if (!isObj(c) || typeof c.ID !== 'string') out.push(`${src}: conversation ID`);
    for (const m of isObj(c) && Array.isArray(c.messages) ? c.messages : []) {
      const key = isObj(m) && isObj(m.message) && isObj(m.message.key) ? m.message.key : null;
      if (!key || typeof key.remoteJID !== 'string' || typeof key.ID !== 'string') out.push(`${src}: message.key {remoteJID, ID}`);
    }
  }
  return out;
}
