//! Standard output for every command, and what a closed stdout means.
//!
//! `stratus … | head` closes the pipe after a few lines. Rust's `println!`
//! panics on that (exit 101). In this crate `println!` is this module's
//! [`line`] (the macro is shadowed in `main.rs`, so every command and every
//! new one prints through it), and writers that return errors (exports,
//! `store get`) hand them to `main`, which uses [`is_closed_pipe`]. Either
//! way a closed stdout is a normal end, exit 0: the reader has what it wanted.

use std::io::{self, Write};

/// Writes one line to stdout. When the reader has gone, the command ends
/// here, successfully, as `head`'s writer would under SIGPIPE; every database
/// change is its own transaction, so nothing is left half-done.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            std::process::exit(1);
        }
    }
}

/// Whether an error is stdout (or another pipe) closed by its reader,
/// anywhere in its chain of causes.
pub fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
