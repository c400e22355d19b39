import type { SectionId } from '$lib/navigation';

/**
 * Which section is shown, and a customer another section asked the Events
 * section to open (a campaign's recipient row): one click from anywhere.
 */
export class RouteStore {
  section = $state<SectionId>('images');
  /** A customer id waiting for the Events section to open it with the person card. */
  customer = $state<string | null>(null);

  openCustomer(id: string): void {
    this.customer = id;
    this.section = 'events';
  }

  /** The waiting customer id, once. */
  takeCustomer(): string | null {
    const id = this.customer;
    this.customer = null;
    return id;
  }
}

export const route = new RouteStore();
