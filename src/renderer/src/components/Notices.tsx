// Messages to the user: toasts (where an export went) and the engine error banner, which always
// names the file that failed so the user knows what to fix.
import { useEffect } from 'react';
import type { EngineError, Toast } from '../state/app-state';

/** Long enough to read a full path. */
const TOAST_MS = 8000;

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, onDismiss]);
  return (
    <li className={`toast ${toast.tone}`}>
      <span>{toast.message}</span>
      <button type="button" aria-label="Dismiss" onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </li>
  );
}

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss: (id: number) => void }) {
  return (
    <ul className="toasts" role="status" aria-label="Notifications" aria-live="polite">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} onDismiss={onDismiss} />
      ))}
    </ul>
  );
}

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

export function ErrorBanner({ error, onDismiss }: { error: EngineError; onDismiss: () => void }) {
  return (
    <div className="error-banner" role="alert">
      <strong>{error.file ? `Problem with ${fileName(error.file)}` : 'The stack could not be made'}</strong>
      <span>{error.message}</span>
      {error.file && <span className="muted path">{error.file}</span>}
      <button type="button" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
