import { useMemo, useState, type FormEvent } from 'react';
import { useGetSystemQuery } from '../../api/system.api';
import type { HttpError } from '../../api/http';
import { useCreateContactMutation, useListTagsQuery, useSetContactTagsMutation, useUpdateContactMutation, type Contact } from './contacts.api';
import { countryList, isCountry, normalizePhone, splitPhone, type CountryCode } from './phone';

type Field = 'name' | 'phone' | 'email' | 'company' | 'notes' | 'tagIds';
type Errors = Partial<Record<Field | 'form', string>>;

// The API's limits (gateway/src/features/contacts/contacts.schemas.ts).
const MAX = { name: 200, email: 254, company: 200, notes: 5000 } as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The API's answer as messages per field: 400 details name the field, 409 names the contact that has the number. */
function apiErrors(e: unknown): Errors {
  const err = e as Partial<HttpError>;
  const d = err.data;
  if (!d) return { form: 'The server cannot be reached.' };
  if (d.code === 'contact_exists') {
    const other = d.details as { name?: string } | undefined;
    return { phone: `${other?.name ?? 'Another contact'} already has this number.` };
  }
  const out: Errors = {};
  if (Array.isArray(d.details)) {
    for (const x of d.details as { field?: string; message?: string }[]) {
      const f = (x.field ?? '').split('.')[0] as Field;
      if (['name', 'phone', 'email', 'company', 'notes', 'tagIds'].includes(f)) out[f] ??= x.message ?? 'invalid';
    }
  }
  if (!Object.keys(out).length) out.form = d.message;
  return out;
}

/** "+" and Edit: name, number with its country, email, company, tags and notes, checked as the API checks them. */
export function ContactForm({ contact, canManageTags, onDone, onCancel }: { contact?: Contact; canManageTags: boolean; onDone(c: Contact): void; onCancel(): void }) {
  const { data: system } = useGetSystemQuery();
  const region: CountryCode = isCountry(system?.phoneRegion) ? system.phoneRegion : 'US';
  const initial = contact ? splitPhone(contact.phone, region) : { country: region, national: '' };
  const [country, setCountry] = useState<CountryCode | null>(contact ? initial.country : null);
  const [form, setForm] = useState({ name: contact?.name ?? '', phone: initial.national, email: contact?.email ?? '', company: contact?.company ?? '', notes: contact?.notes ?? '' });
  const [tagIds, setTagIds] = useState<string[]>(contact?.tags.map((t) => t.id) ?? []);
  const [errors, setErrors] = useState<Errors>({});
  const { data: tags } = useListTagsQuery();
  const [create, creating] = useCreateContactMutation();
  const [update, updating] = useUpdateContactMutation();
  const [setTags, settingTags] = useSetContactTagsMutation();
  const countries = useMemo(countryList, []);
  const cc = country ?? region;

  const check = (): Errors => {
    const e: Errors = {};
    if (!form.name.trim()) e.name = 'required';
    else if (form.name.trim().length > MAX.name) e.name = `at most ${MAX.name} characters`;
    if (!form.phone.trim()) e.phone = 'required';
    else if (!normalizePhone(form.phone, cc)) e.phone = `"${form.phone.trim()}" is not a valid phone number`;
    if (form.email.trim() && (!EMAIL.test(form.email.trim()) || form.email.trim().length > MAX.email)) e.email = 'Invalid email address';
    if (form.company.trim().length > MAX.company) e.company = `at most ${MAX.company} characters`;
    if (form.notes.trim().length > MAX.notes) e.notes = `at most ${MAX.notes} characters`;
    return e;
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = check();
    setErrors(e);
    if (Object.keys(e).length) return;
    const fields = {
      name: form.name.trim(),
      phone: normalizePhone(form.phone, cc)!,
      email: form.email.trim() || null,
      company: form.company.trim() || null,
      notes: form.notes.trim() || null,
    };
    if (!contact) {
      const r = await create({ ...fields, ...(tagIds.length ? { tagIds } : {}) });
      if ('error' in r) return setErrors(apiErrors(r.error));
      return onDone(r.data);
    }
    const r = await update({ id: contact.id, patch: fields });
    if ('error' in r) return setErrors(apiErrors(r.error));
    const before = contact.tags.map((t) => t.id).sort().join();
    if (canManageTags && before !== [...tagIds].sort().join()) {
      const t = await setTags({ id: contact.id, tagIds });
      if ('error' in t) return setErrors(apiErrors(t.error));
      return onDone(t.data);
    }
    onDone(r.data);
  };

  // The error sits after the label, not in it: it describes the field (aria-describedby), it is not its name.
  const text = (k: 'name' | 'email' | 'company', label: string, type = 'text') => (
    <div className="field">
      <label>
        {label}
        <input
          name={k}
          type={type}
          value={form[k]}
          onChange={(e) => setForm({ ...form, [k]: e.target.value })}
          maxLength={MAX[k]}
          aria-invalid={!!errors[k]}
          aria-describedby={errors[k] ? `err-${k}` : undefined}
          autoComplete="off"
          autoFocus={k === 'name'}
        />
      </label>
      {errors[k] && (
        <span className="field-error" id={`err-${k}`}>
          {errors[k]}
        </span>
      )}
    </div>
  );
  const busy = creating.isLoading || updating.isLoading || settingTags.isLoading;
  return (
    <form className="contact-form" onSubmit={submit} noValidate aria-label={contact ? `Edit ${contact.name}` : 'New contact'}>
      <h2>{contact ? 'Edit contact' : 'New contact'}</h2>
      {text('name', 'Name')}
      <fieldset className="phone-field">
        <legend>Phone</legend>
        <div className="phone-inputs">
          <label className="sr-only" htmlFor="contact-country">
            Country
          </label>
          <select id="contact-country" value={cc} onChange={(e) => setCountry(e.target.value as CountryCode)}>
            {countries.map((c) => (
              <option key={c.code} value={c.code}>
                {c.label}
              </option>
            ))}
          </select>
          <label className="sr-only" htmlFor="contact-phone">
            Phone number
          </label>
          <input
            id="contact-phone"
            name="phone"
            type="tel"
            inputMode="tel"
            value={form.phone}
            onChange={(e) => setForm({ ...form, phone: e.target.value })}
            placeholder="national, or +country code"
            aria-invalid={!!errors.phone}
            aria-describedby={errors.phone ? 'err-phone' : undefined}
          />
        </div>
        {errors.phone && (
          <span className="field-error" id="err-phone">
            {errors.phone}
          </span>
        )}
      </fieldset>
      {text('email', 'Email', 'email')}
      {text('company', 'Company')}
      {(!contact || canManageTags) && (tags?.length ?? 0) > 0 && (
        <fieldset className="tag-field">
          <legend>Tags</legend>
          <div className="tag-checks">
            {tags!.map((t) => (
              <label key={t.id} className="tag-check">
                <input type="checkbox" checked={tagIds.includes(t.id)} onChange={(e) => setTagIds(e.target.checked ? [...tagIds, t.id] : tagIds.filter((x) => x !== t.id))} />
                <span className="tag-swatch" style={{ background: t.color }} aria-hidden="true" />
                {t.name}
              </label>
            ))}
          </div>
          {errors.tagIds && <span className="field-error">{errors.tagIds}</span>}
        </fieldset>
      )}
      <div className="field">
        <label>
          Notes
          <textarea name="notes" rows={3} value={form.notes} onChange={(e) => setForm({ ...form, notes: e.target.value })} maxLength={MAX.notes} aria-invalid={!!errors.notes} aria-describedby={errors.notes ? 'err-notes' : undefined} />
        </label>
        {errors.notes && (
          <span className="field-error" id="err-notes">
            {errors.notes}
          </span>
        )}
      </div>
      {errors.form && (
        <p role="alert" className="error">
          {errors.form}
        </p>
      )}
      {Object.keys(errors).length > 0 && !errors.form && (
        <p role="alert" className="error">
          Please correct the marked fields.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {contact ? 'Save' : 'Add contact'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
