//! Cold start timing, prepare() to the runtime's exec, and from a ready shell. Prints only;
//! never asserts on time.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use stratus_sandbox::{ExitStatus, Sandbox, Shell};

fn pct(v: &[Duration], p: f64) -> Duration {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn prepare_to_exec_timing() {
    let task = world_dir();
    let host = host();
    let n = 30;
    let (mut prep, mut bind, mut start, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let cfg = config(task.path(), &["/bin/true"]);
        let t0 = Instant::now();
        let mut sb = Sandbox::prepare(&cfg, &host).unwrap();
        let t1 = Instant::now();
        let _api = sb.bind_tcp("127.0.0.1:9001".parse().unwrap()).unwrap();
        let t2 = Instant::now();
        sb.start().unwrap();
        let t3 = Instant::now();
        prep.push(t1 - t0);
        bind.push(t2 - t1);
        start.push(t3 - t2);
        total.push((t1 - t0) + (t3 - t2));
        assert_eq!(
            wait_exit(&mut sb, Duration::from_secs(5)),
            Some(ExitStatus::Exited(0))
        );
        drop(sb);
    }
    for v in [&mut prep, &mut bind, &mut start, &mut total] {
        v.sort();
    }
    println!(
        "sandbox cold start over {n} runs (prepare -> runtime exec, bind_tcp excluded):\n  \
         prepare p50 {:?} p90 {:?}\n  bind_tcp p50 {:?} (separate)\n  start   p50 {:?} p90 {:?}\n  total   p50 {:?} p90 {:?} min {:?} max {:?}",
        pct(&prep, 0.5),
        pct(&prep, 0.9),
        pct(&bind, 0.5),
        pct(&start, 0.5),
        pct(&start, 0.9),
        pct(&total, 0.5),
        pct(&total, 0.9),
        total[0],
        total[n - 1],
    );
}

#[test]
fn shell_assign_to_exec_timing() {
    let task = world_dir();
    let host = host();
    let n = 30;
    let (mut spawn, mut ready) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let cfg = config(task.path(), &["/bin/true"]);
        let t0 = Instant::now();
        let shell = Shell::spawn(&host, None).unwrap();
        let _api = shell.bind_tcp("127.0.0.1:9001".parse().unwrap()).unwrap();
        spawn.push(t0.elapsed());
        // What a cold start pays when a shell is waiting: assign and start.
        let t1 = Instant::now();
        let mut sb = shell.assign(&cfg, &host).unwrap();
        sb.start().unwrap();
        ready.push(t1.elapsed());
        assert_eq!(
            wait_exit(&mut sb, Duration::from_secs(5)),
            Some(ExitStatus::Exited(0))
        );
    }
    spawn.sort();
    ready.sort();
    println!(
        "from a ready shell over {n} runs:\n  spawn+bind p50 {:?} p90 {:?}\n  assign+start p50 {:?} p90 {:?} max {:?}",
        pct(&spawn, 0.5),
        pct(&spawn, 0.9),
        pct(&ready, 0.5),
        pct(&ready, 0.9),
        ready[n - 1],
    );
}
