/** One field's failure, `field` a path into the body (`email`, `account.email`, `redirectUris[0]`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * The one error model: a stable dotted `code`, an HTTP `status`, a human `detail` safe to show,
 * and optional field errors. Mapped once to problem+json (API) or an error page (HTML).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
  ) {
    super(`${code}: ${detail}`);
    this.name = 'AppError';
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
