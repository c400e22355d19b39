import { toAppError, type AppError } from '$lib/backend';

export interface BannerError extends AppError {
  /** What the app was doing, e.g. "Could not follow jobs". */
  context: string;
}

/** The global banner for failures no screen handles itself. */
export class ErrorBannerStore {
  current = $state<BannerError | null>(null);

  show(context: string, e: unknown): void {
    this.current = { context, ...toAppError(e) };
  }

  dismiss(): void {
    this.current = null;
  }
}

export const errorBanner = new ErrorBannerStore();
