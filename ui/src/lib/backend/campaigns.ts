/** Typed calls for the Campaigns section (marketers). */
export {};
