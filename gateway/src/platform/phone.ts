import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';

export type Region = CountryCode;

export const isRegion = (code: string): code is Region => isSupportedCountry(code);

/**
 * A phone number as people type it → E.164 (`+4915123456789`), or null when it is not a valid number.
 * National numbers are read in `defaultRegion`; a leading `00` is the international prefix (as in most
 * of the world) and `+` is kept; spaces, dashes, dots and parentheses are ignored. Validation uses the
 * full metadata, so too short / too long / unassigned ranges are refused.
 */
export function normalizePhone(input: string, defaultRegion: Region): string | null {
  let s = input.trim();
  if (!s || s.length > 40) return null;
  if (/[a-z]/i.test(s.replace(/\b(ext|x)\.?\s*\d+$/i, ''))) return null; // letters are not a number (an extension is dropped)
  s = s.replace(/^00/, '+').replace(/^\+\s*\+/, '+');
  const p = parsePhoneNumberFromString(s, { defaultCountry: defaultRegion });
  if (!p || !p.isValid()) return null;
  return p.number;
}

/** The digits a person might type to find a number (`0151 234` → `151234`): for search only. */
export const phoneDigits = (q: string) => q.replace(/\D/g, '').replace(/^0+/, '');
