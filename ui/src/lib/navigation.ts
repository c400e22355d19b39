/** The app's top-level sections, in rail order. */
export type SectionId = 'images' | 'campaigns' | 'events' | 'settings';

export type IconName =
  | 'image'
  | 'megaphone'
  | 'activity'
  | 'settings'
  | 'folder'
  | 'file'
  | 'check'
  | 'x'
  | 'minus'
  | 'chevron-right'
  | 'refresh'
  | 'close'
  | 'alert'
  | 'database'
  | 'layers';

export interface SectionEntry {
  id: SectionId;
  label: string;
  icon: IconName;
}

export const SECTIONS: readonly SectionEntry[] = [
  { id: 'images', label: 'Images', icon: 'image' },
  { id: 'campaigns', label: 'Campaigns', icon: 'megaphone' },
  { id: 'events', label: 'Events', icon: 'activity' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
];
