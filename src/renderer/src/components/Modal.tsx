// The one modal dialog shell (folder browser, export dialog, keyboard help, batch queue): a
// backdrop, a labelled dialog that takes focus when it opens, and Esc (or `closeKeys`) to close.
import { useEffect, useRef, type ReactNode } from 'react';

export function Modal({
  label,
  className,
  onClose,
  closeKeys = ['Escape'],
  children,
}: {
  label: string;
  className: string;
  onClose: () => void;
  /** Keys that close the dialog from anywhere inside it. */
  closeKeys?: readonly string[];
  children: ReactNode;
}) {
  const dialogRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Focus moves in unless something inside (a field) already took it.
    if (!dialogRef.current?.contains(document.activeElement)) dialogRef.current?.focus();
  }, []);
  return (
    <div className="modal-backdrop">
      <div
        ref={dialogRef}
        className={`modal ${className}`}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        tabIndex={-1}
        onKeyDown={(event) => {
          if (!closeKeys.includes(event.key)) return;
          event.preventDefault();
          event.stopPropagation();
          onClose();
        }}
      >
        <h2>{label}</h2>
        {children}
      </div>
    </div>
  );
}

/** A dialog's Close button, bottom right. */
export function CloseFooter({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-footer">
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
