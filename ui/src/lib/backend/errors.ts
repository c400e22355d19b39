import type { AppError } from './bindings/AppError';

/** True when `value` already has the `{ code, message }` shape of the backend's errors. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Normalises anything thrown into an `AppError`; unknown shapes become `internal`. */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: String(e) };
}
