// The browser host's stand-in for a folder dialog: browses the folders under the host's root and
// marks the stacks (folders with two or more images) it recognises.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, FolderListing } from '../../../shared/api';
import { CloseFooter, Modal } from './Modal';

export function FolderBrowser({ api, onOpen, onClose }: { api: DeepfieldApi; onOpen: (path: string) => void; onClose: () => void }) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);

  const browse = (path?: string) => {
    setError(null);
    api.listFolder(path).then(setListing, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };

  useEffect(() => {
    browse();
    // The first listing is of the root, once, when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <Modal label="Choose a stack folder" className="folder-browser" onClose={onClose}>
      <p className="path" title={listing?.path}>
        {listing?.path ?? 'Loading…'}
      </p>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="folder-actions">
        <button type="button" disabled={!listing?.parent} onClick={() => listing?.parent && browse(listing.parent)}>
          Parent folder
        </button>
        <button type="button" disabled={(listing?.imageCount ?? 0) < 2} onClick={() => listing && onOpen(listing.path)}>
          Open this folder
        </button>
      </div>
      <ul className="folder-list" aria-label="Folders">
        {listing?.entries.length === 0 && <li className="muted">No sub-folders here.</li>}
        {listing?.entries.map((entry) => (
          <li key={entry.path}>
            <button type="button" className="folder-name" onClick={() => browse(entry.path)} aria-label={`Browse ${entry.name}`}>
              {entry.name}
              <span className="muted" aria-hidden="true">
                {' '}
                ›
              </span>
            </button>
            {entry.kind === 'stack' && (
              <button type="button" className="primary" onClick={() => onOpen(entry.path)} aria-label={`Open stack ${entry.name}`}>
                Open stack ({entry.imageCount} images)
              </button>
            )}
          </li>
        ))}
      </ul>
      <CloseFooter onClose={onClose} />
    </Modal>
  );
}
