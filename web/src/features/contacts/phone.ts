import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * The gateway's own rules (gateway/src/platform/phone.ts, same library and full metadata), so the
 * form refuses exactly what the API would: the number is checked here before it is sent.
 */
export function normalizePhone(input: string, region: CountryCode): string | null {
  let s = input.trim();
  if (!s || s.length > 40) return null;
  if (/[a-z]/i.test(s.replace(/\b(ext|x)\.?\s*\d+$/i, ''))) return null;
  s = s.replace(/^00/, '+').replace(/^\+\s*\+/, '+');
  const p = parsePhoneNumberFromString(s, { defaultCountry: region });
  if (!p || !p.isValid()) return null;
  return p.number;
}

/** "+49 151 23456789" for display; the E.164 text when the library cannot format it. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** A stored number split for the form: its country and the national part as people write it. */
export function splitPhone(e164: string, fallback: CountryCode): { country: CountryCode; national: string } {
  const p = parsePhoneNumberFromString(e164);
  return p?.country ? { country: p.country, national: p.formatNational() } : { country: fallback, national: e164 };
}

export interface Country {
  code: CountryCode;
  label: string;
}

let countries: Country[] | undefined;
/** Every region the library knows, by name in the browser's language, with its calling code. */
export function countryList(): Country[] {
  if (countries) return countries;
  const names = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(undefined, { type: 'region' }) : null;
  countries = getCountries()
    .map((code) => ({ code, name: names?.of(code) ?? code }))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ code, name }) => ({ code, label: `${name} +${getCountryCallingCode(code)}` }));
  return countries;
}

export const isCountry = (code: string | undefined): code is CountryCode => !!code && getCountries().includes(code as CountryCode);
export type { CountryCode };
