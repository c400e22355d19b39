import { invoke, type InvokeArgs, type InvokeOptions } from '@tauri-apps/api/core';
import { toAppError } from './errors';

/** Invokes a command; every rejection becomes an `AppError`. */
export async function call<T>(command: string, args?: InvokeArgs, options?: InvokeOptions): Promise<T> {
  try {
    // Only pass what was given, so the call the shell sees is the plain one.
    return await (options ? invoke<T>(command, args, options) : invoke<T>(command, args));
  } catch (e) {
    throw toAppError(e);
  }
}
