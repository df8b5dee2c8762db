import type { TagRow } from '../tags/tags.service.js';
import { presentTagRef } from '../tags/tags.presenter.js';
import type { ContactRow } from './contacts.repository.js';

export const presentContact = (c: ContactRow, tags: TagRow[] = []) => ({
  id: c.id,
  name: c.name,
  phone: c.phone_e164,
  email: c.email,
  company: c.company,
  notes: c.notes,
  tags: tags.map(presentTagRef),
  createdBy: c.created_by,
  createdAt: c.created_at.toISOString(),
  updatedAt: c.updated_at.toISOString(),
});

export interface WaContactRow {
  id: number;
  device_id: string;
  jid: string;
  phone_e164: string | null;
  push_name: string | null;
  full_name: string | null;
  business_name: string | null;
  device_name?: string;
}

export const presentWaContact = (w: WaContactRow) => ({
  id: w.id,
  deviceId: w.device_id,
  jid: w.jid,
  phone: w.phone_e164,
  pushName: w.push_name,
  fullName: w.full_name,
  businessName: w.business_name,
});

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
export { iso };
