// The browser host's stand-in for a folder dialog: browses the folders under the host's root and
// marks the stacks (folders with two or more images) it recognises. With `onAdd` it adds stacks
// to the batch queue instead, several in a row, and stays open.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, FolderListing } from '../../../shared/api';
import { CloseFooter, Modal } from './Modal';

export function FolderBrowser({
  api,
  onOpen,
  onAdd,
  onClose,
}: {
  api: DeepfieldApi;
  onOpen: (path: string, exclude?: string[]) => void;
  /** Batch mode: each chosen stack is added to the queue and the dialog stays open. */
  onAdd?: (path: string, exclude?: string[]) => void;
  onClose: () => void;
}) {
  const [added, setAdded] = useState<string[]>([]);
  const verb = onAdd ? 'Add' : 'Open';
  const choose = (path: string, exclude?: string[]) => {
    if (!onAdd) return onOpen(path, exclude);
    onAdd(path, exclude);
    setAdded((names) => [...names, path.split(/[\\/]/).pop() || path]);
  };
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
    <Modal label={onAdd ? 'Add stacks to the batch queue' : 'Choose a stack folder'} className="folder-browser" onClose={onClose}>
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
          onClick={() => listing && choose(listing.path, leftOut.size > 0 ? [...leftOut] : undefined)}
        >
          {verb} this folder{leftOut.size > 0 && listing?.imageCount ? ` (${listing.imageCount - leftOut.size} of ${listing.imageCount} images)` : ''}
        </button>
      </div>
      {onAdd && (
        <p role="status" className="muted">
          {added.length === 0 ? 'Nothing added yet.' : `Added ${added.length}: ${added.join(', ')}`}
        </p>
      )}
      {listing?.images && listing.images.length > 0 && (
        // What would be stacked, before it is: a stray file (an earlier composite) shows here.
        <ImagesToStack images={listing.images} leftOut={leftOut} onLeftOut={setLeftOut} />
      )}
      <SubFolders entries={listing?.entries} onBrowse={browse} onChoose={choose} verb={verb} />
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

/**
 * The folders below this one, to browse into; those that are stacks open (in batch mode: are
 * added) straight away. `entries` is undefined until the first listing arrives: the list is there, empty.
 */
function SubFolders({
  entries,
  onBrowse,
  onChoose,
  verb,
}: {
  entries: FolderListing['entries'] | undefined;
  onBrowse: (path: string) => void;
  onChoose: (path: string) => void;
  verb: 'Open' | 'Add';
}) {
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
            <button type="button" className="primary" onClick={() => onChoose(entry.path)} aria-label={`${verb} stack ${entry.name}`}>
              {verb} stack ({entry.imageCount} images)
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
