// The keyboard help overlay ("?"): every shortcut of the main window, from the same table the
// key handling uses (keyboard.ts), so the list cannot drift from what the keys do.
import { SHORTCUTS } from '../keyboard';
import { CloseFooter, Modal } from './Modal';

export function KeyboardHelp({ onClose }: { onClose: () => void }) {
  return (
    <Modal label="Keyboard shortcuts" className="keyboard-help" onClose={onClose} closeKeys={['Escape', '?']}>
      <table>
        <tbody>
          {SHORTCUTS.map((shortcut) => (
            <tr key={shortcut.keys}>
              <th scope="row">
                <kbd>{shortcut.keys}</kbd>
              </th>
              <td>{shortcut.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CloseFooter onClose={onClose} />
    </Modal>
  );
}
