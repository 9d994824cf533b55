//! Warm invokes with and without `/metrics` scraped ten times a second on another
//! connection, in alternating windows so that both see the same machine, to show that a
//! scrape does not slow invocations.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{plain_get, Conn};

/// How often `/metrics` is scraped while scraping is on.
const EVERY: Duration = Duration::from_millis(100);
/// One window of invokes, scraped or not.
const WINDOW: Duration = Duration::from_millis(500);
/// Windows in all (half of them scraped).
const WINDOWS: usize = 20;

/// Latencies of `invoke` run back to back, unscraped and scraped, and the scrapes made.
pub struct Alternating {
    pub quiet: Vec<Duration>,
    pub scraped: Vec<Duration>,
    pub scrapes: usize,
}

/// Runs `invoke` back to back for [`WINDOWS`] windows, every other one while another thread
/// scrapes `/metrics` every 100 ms.
pub fn alternating(
    addr: SocketAddr,
    mut invoke: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Alternating> {
    let (on, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let scrapes = Arc::new(AtomicUsize::new(0));
    let scraper = {
        let (on, stop, scrapes) = (Arc::clone(&on), Arc::clone(&stop), Arc::clone(&scrapes));
        std::thread::spawn(move || -> anyhow::Result<()> {
            let mut conn = Conn::open(addr)?;
            let req = plain_get(addr, "/metrics");
            while !stop.load(Ordering::Relaxed) {
                let next = Instant::now() + EVERY;
                if on.load(Ordering::Relaxed) {
                    anyhow::ensure!(conn.roundtrip(&req)? == 200, "scrape failed");
                    scrapes.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            Ok(())
        })
    };
    let mut out = Alternating {
        quiet: Vec::new(),
        scraped: Vec::new(),
        scrapes: 0,
    };
    let mut run = || -> anyhow::Result<()> {
        for w in 0..WINDOWS {
            let scraped = w % 2 == 1;
            on.store(scraped, Ordering::Relaxed);
            let end = Instant::now() + WINDOW;
            while Instant::now() < end {
                let t = Instant::now();
                invoke()?;
                let took = t.elapsed();
                if scraped {
                    out.scraped.push(took);
                } else {
                    out.quiet.push(took);
                }
            }
        }
        Ok(())
    };
    let ran = run();
    stop.store(true, Ordering::Relaxed);
    scraper
        .join()
        .map_err(|_| anyhow::anyhow!("the scraper panicked"))??;
    ran?;
    out.scrapes = scrapes.load(Ordering::Relaxed);
    Ok(out)
}
