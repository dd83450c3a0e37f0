import { h } from './dom.js';

// A modal question for changes that make the product enforce (or stop): names what will happen before it does.
// Resolves true only on the confirm button; Escape, Cancel or a click outside resolve false.
export function confirmAction({ title, body, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const ok = h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        [].concat(body).map((line) => (line instanceof Node ? line : h('p', {}, line))),
        h('div', { class: 'confirm-buttons' }, cancel, ok)));
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close('cancel'); });
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
