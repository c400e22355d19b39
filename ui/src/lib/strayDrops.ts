/**
 * With Tauri's native drop handler off, anything dropped on the window that no drop zone
 * takes would be opened by the webview in place of the app (a file, a link): refuse it,
 * app-wide. Drop zones call `preventDefault()` themselves and are left alone; plain text
 * dragged into a text field still lands there.
 */
export function refuseStrayDrop(event: DragEvent): void {
  if (event.defaultPrevented) return;
  if (!carriesFiles(event) && isTextField(event.target)) return;
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
}

/** Installs the rule on `target` (the window); returns how to remove it. */
export function guardStrayDrops(target: Window): () => void {
  target.addEventListener('dragover', refuseStrayDrop);
  target.addEventListener('drop', refuseStrayDrop);
  return () => {
    target.removeEventListener('dragover', refuseStrayDrop);
    target.removeEventListener('drop', refuseStrayDrop);
  };
}

function carriesFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types?.includes('Files') ?? false;
}

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable;
}
