/**
 * Tells, when an answer arrives, whether its request is still the newest one.
 * An answer to a request the user has moved on from (another folder, newer
 * text, another filter) must not overwrite what the newer request shows.
 */
export type IsLatest = () => boolean;

/** A sequence of requests of which only the newest counts. */
export interface Latest {
  /** Starts a request: every request before it becomes stale. */
  begin(): IsLatest;
  /** Joins the current request (a follow-up such as "load more"): stale once another begins. */
  join(): IsLatest;
}

/** A new request sequence; one per thing a component loads. */
export function latest(): Latest {
  let newest = 0;
  const check = (mine: number): IsLatest => () => mine === newest;
  return {
    begin: () => check(++newest),
    join: () => check(newest),
  };
}
