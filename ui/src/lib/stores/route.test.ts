import { describe, expect, it } from 'vitest';
import { RouteStore } from './route.svelte';

describe('RouteStore', () => {
  it('opens a customer in the Events section and hands the id over once', () => {
    const route = new RouteStore();
    route.openCustomer('cust-00042');
    expect(route.section).toBe('events');
    expect(route.takeCustomer()).toBe('cust-00042');
    expect(route.takeCustomer()).toBeNull();
  });
});
