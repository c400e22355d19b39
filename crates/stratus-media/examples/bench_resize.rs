//! Our side of `bench/images/run.sh`: the full pipeline (decode with
//! shrink-on-load → orient → Lanczos3 → encode) over a list of photos, the
//! way the image function runs it, on a given number of threads.
//!
//! `bench_resize <spec> <threads> <repeat> <file>...` prints one line:
//! `images=<n> seconds=<wall>`. Each file is read from disk per image, as a
//! command-line tool would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use stratus_media::{render, Limits, OutputFormat, VariantSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, threads, repeat, files @ ..] = args.as_slice() else {
        return Err("usage: bench_resize <spec> <threads> <repeat> <file>...".into());
    };
    let spec = VariantSpec::parse(spec)?;
    let format = OutputFormat::negotiate(spec.format, None);
    let threads: usize = threads.parse()?;
    let repeat: usize = repeat.parse()?;
    let jobs: Vec<&String> = (0..repeat).flat_map(|_| files.iter()).collect();
    let next = AtomicUsize::new(0);
    let limits = Limits::default();

    let started = Instant::now();
    std::thread::scope(|scope| -> Result<(), String> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    while let Some(path) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
                        render(path, &bytes, &spec, format, &limits).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a worker panicked")??;
        }
        Ok(())
    })?;
    println!(
        "images={} seconds={:.4}",
        jobs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
