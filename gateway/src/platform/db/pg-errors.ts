/** PostgreSQL's unique_violation: a row with the same key exists (the callers turn it into a 409 or a retry). */
export const isUniqueViolation = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === '23505';
