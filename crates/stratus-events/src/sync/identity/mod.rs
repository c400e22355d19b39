//! The identity graph: which ids (anonymous ids, user ids, aliases) are one
//! person, and how each was linked. Built during sync from `identify` and
//! `alias` events (`group` events tie a person to an account without merging
//! anyone), so a customer's timeline holds their anonymous events before
//! login and every device.
//!
//! - [`link`]: the link an event carries, if any (read off the parse, in
//!   parallel with the downloads);
//! - [`graph`]: the union of linked ids in the writer's transaction, the
//!   person each event belongs to, and the rebuild from the links.
//!
//! The graph is a pure function of the set of links: the same links in any
//! order give the same people and the same person ids (see [`graph`]).

pub mod graph;
pub mod link;
