// GET /_sim: one server-rendered page listing both engines' sessions, their QR, and forms for the control actions.
import type { SimContext } from '../context.js';
import { qrDataUrl } from '../util/qr.js';
import { describe } from './actions.js';

export const SIM_LABEL = 'Engine simulator — development tool';

const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

async function sessionCard(ctx: SimContext, d: Record<string, unknown>): Promise<string> {
  const name = String(d.name);
  const q = `?engine=${d.engine}`;
  const qr = typeof d.qr === 'string' && d.qr ? d.qr : null;
  const img = qr ? `<img alt="QR" width="160" height="160" src="${await qrDataUrl(qr)}">` : '';
  const hooks = (d.webhooks as { url: string; events: string[]; hmacKey: string | null }[])
    .map((w) => `<li><code>${esc(w.url)}</code> events: ${esc(w.events.join(', '))} · HMAC key: <code>${esc(w.hmacKey ?? '—')}</code></li>`).join('');
  const action = (path: string) => `/_sim/sessions/${encodeURIComponent(name)}/${path}${q}`;
  return `<section class="card">
  <h2>${esc(name)} <small>${esc(d.engine)} · <b>${esc(d.status)}</b> · phone ${esc(d.phone ?? '—')} · ${esc(d.chats)} chats / ${esc(d.messages)} messages</small></h2>
  <div class="row"><div>${img}</div><div>${qr ? `<p>QR text:</p><pre>${esc(qr)}</pre>` : '<p>No QR pending.</p>'}<ul>${hooks}</ul></div></div>
  <form data-action="${action('scan')}"><input name="phone" placeholder="phone (optional)"><button>Scan QR</button></form>
  <form data-action="${action('inbound')}"><input name="from" placeholder="from phone" required><input name="pushName" placeholder="push name">
    <input name="body" placeholder="message text" required><label><input type="checkbox" name="lid"> as LID</label><button>Send as contact</button></form>
  <form data-action="${action('ack')}"><input name="messageId" placeholder="message id" required>
    <select name="ack"><option>SERVER</option><option>DEVICE</option><option selected>READ</option><option>PLAYED</option><option>ERROR</option></select><button>Ack</button></form>
  <form data-action="${action('history')}"><input name="chats" type="number" value="5"><input name="messagesPerChat" type="number" value="20"><button>Fill history</button></form>
  <form data-action="${action('logout')}"><button>Phone logs out</button></form>
</section>`;
}

export async function renderPage(ctx: SimContext): Promise<string> {
  const all = [...ctx.store.waha.values(), ...ctx.store.wuzapi.values()].filter((t) => !(t.engine === 'wuzapi' && t.deleted)).map(describe);
  const cards = (await Promise.all(all.map((d) => sessionCard(ctx, d)))).join('\n');
  const f = ctx.store.faults;
  const base = ctx.baseUrl();
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(SIM_LABEL)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem}.banner{background:#fde68a;padding:.5rem 1rem;border-radius:6px}
.card{border:1px solid #ccc;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}.row{display:flex;gap:1rem}pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem;max-width:40rem}
form{margin:.3rem 0}input{margin-right:.3rem}small{font-weight:normal;color:#555}#out{background:#f3f4f6;padding:.5rem;min-height:1rem}</style></head>
<body><p class="banner"><b>${esc(SIM_LABEL)}</b> — not WhatsApp. WAHA at <code>${esc(base)}</code> (X-Api-Key), WuzAPI at <code>${esc(base)}/wuzapi</code> (Token / admin Authorization).</p>
<h1>${esc(SIM_LABEL)}</h1>
<p><button onclick="location.reload()">Refresh</button> <label><input type="checkbox" id="auto"> auto-refresh (3 s)</label></p>
<pre id="out"></pre>
${cards || '<p>No sessions yet: create one through the WAHA or WuzAPI API (the gateway does this when a device is added).</p>'}
<section class="card"><h2>Faults</h2>
<form data-action="/_sim/faults"><label><input type="checkbox" name="down" ${f.down ? 'checked' : ''}> down</label>
<label>latency ms <input name="latencyMs" type="number" value="${f.latencyMs}"></label>
<label>duplicates <input name="webhookDuplicates" type="number" value="${f.webhookDuplicates}"></label>
<label><input type="checkbox" name="webhookFailFirst" ${f.webhookFailFirst ? 'checked' : ''}> fail first delivery</label>
<label><input type="checkbox" name="lidSender" ${f.lidSender === true ? 'checked' : ''}> senders as LID</label><button>Apply</button></form>
<form data-action="/_sim/reset"><button>Reset everything</button></form></section>
<script>
const NUM = ['latencyMs','webhookDuplicates','chats','messagesPerChat'];
const BOOL = ['down','webhookFailFirst','lidSender','lid'];
for (const form of document.querySelectorAll('form[data-action]')) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.name === 'lid') { if (el.checked) body.lid = true; continue; }
      if (BOOL.includes(el.name)) body[el.name] = el.checked;
      else if (NUM.includes(el.name)) body[el.name] = Number(el.value);
      else if (el.value !== '') body[el.name] = el.value;
    }
    const res = await fetch(form.dataset.action, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    document.getElementById('out').textContent = res.status + ' ' + await res.text();
  });
}
const auto = document.getElementById('auto');
auto.checked = sessionStorage.getItem('simAuto') === '1';
auto.addEventListener('change', () => sessionStorage.setItem('simAuto', auto.checked ? '1' : '0'));
setInterval(() => { if (auto.checked) location.reload(); }, 3000);
</script></body></html>`;
}
