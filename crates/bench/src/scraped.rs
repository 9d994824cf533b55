//! Load beside a measurement: `/metrics` scraped ten times a second on its own connection,
//! to show that a scrape does not slow invocations.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{plain_get, Conn};

/// How often `/metrics` is scraped.
const EVERY: Duration = Duration::from_millis(100);

/// Runs `f` while another thread scrapes `/metrics` every 100 ms; answers what `f` did and
/// how many scrapes answered 200 meanwhile.
pub fn while_scraped<T>(
    addr: SocketAddr,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(T, usize)> {
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> anyhow::Result<usize> {
            let mut conn = Conn::open(addr)?;
            let req = plain_get(addr, "/metrics");
            let mut scrapes = 0;
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                anyhow::ensure!(conn.roundtrip(&req)? == 200, "scrape failed");
                scrapes += 1;
                next += EVERY;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            Ok(scrapes)
        })
    };
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let scrapes = scraper
        .join()
        .map_err(|_| anyhow::anyhow!("the scraper panicked"))??;
    Ok((out?, scrapes))
}
