// The browser host's stand-in for a folder dialog: browses the folders under the host's root and
// marks the stacks (folders with two or more images) it recognises.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, FolderListing } from '../../../shared/api';
import { CloseFooter, Modal } from './Modal';

export function FolderBrowser({ api, onOpen, onClose }: { api: DeepfieldApi; onOpen: (path: string, exclude?: string[]) => void; onClose: () => void }) {
  /** Files of the browsed folder the user unticked: left out when it is opened. */
  const [leftOut, setLeftOut] = useState<Set<string>>(new Set());
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);

  const browse = (path?: string) => {
    setError(null);
    setLeftOut(new Set());
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
        <button
          type="button"
          disabled={(listing?.imageCount ?? 0) - leftOut.size < 2}
          onClick={() => listing && onOpen(listing.path, leftOut.size > 0 ? [...leftOut] : undefined)}
        >
          Open this folder{leftOut.size > 0 && listing?.imageCount ? ` (${listing.imageCount - leftOut.size} of ${listing.imageCount} images)` : ''}
        </button>
      </div>
      {listing?.images && listing.images.length > 0 && (
        // What would be stacked, before it is: a stray file (an earlier composite) shows here.
        <ImagesToStack images={listing.images} leftOut={leftOut} onLeftOut={setLeftOut} />
      )}
      <SubFolders entries={listing?.entries} onBrowse={browse} onOpen={onOpen} />
      <CloseFooter onClose={onClose} />
    </Modal>
  );
}

/** The folder's images, each with a tick box: an unticked one is left out of the stack. */
function ImagesToStack({ images, leftOut, onLeftOut }: { images: string[]; leftOut: Set<string>; onLeftOut: (leftOut: Set<string>) => void }) {
  return (
    <ul className="file-list" aria-label="Images in this folder">
      {images.map((name) => (
        <li key={name}>
          <label>
            <input
              type="checkbox"
              aria-label={`Include ${name}`}
              checked={!leftOut.has(name)}
              onChange={(e) => {
                const next = new Set(leftOut);
                if (e.target.checked) next.delete(name);
                else next.add(name);
                onLeftOut(next);
              }}
            />
            {name}
          </label>
        </li>
      ))}
    </ul>
  );
}

/** The folders below this one, to browse into; those that are stacks open straight away. */
/** `entries` is undefined until the first listing arrives: the list is there, empty. */
function SubFolders({ entries, onBrowse, onOpen }: { entries: FolderListing['entries'] | undefined; onBrowse: (path: string) => void; onOpen: (path: string) => void }) {
  return (
    <ul className="folder-list" aria-label="Folders">
      {entries?.length === 0 && <li className="muted">No sub-folders here.</li>}
      {entries?.map((entry) => (
        <li key={entry.path}>
          <button type="button" className="folder-name" onClick={() => onBrowse(entry.path)} aria-label={`Browse ${entry.name}`}>
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
  );
}
