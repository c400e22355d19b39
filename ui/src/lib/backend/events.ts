/** Typed calls for the Events section (support staff). */
export {};
