/** An error's message as the user sees it. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
