//! Network namespace: only loopback, host listener reachable only through bind_tcp.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;
use stratus_sandbox::{ExitStatus, Sandbox};

const PY_CONNECT: &str = r#"
import socket, sys
port = int(sys.argv[1])
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", port))
    print("host-port CONNECTED")
except OSError as e:
    print("host-port refused", type(e).__name__)
s = socket.create_connection(("127.0.0.1", 9001), timeout=5)
s.sendall(b"hello from inside")
print("api", s.recv(100).decode())
print(open("/proc/net/dev").read().count(":"), "interfaces")
"#;

#[test]
fn only_the_bound_runtime_api_port_is_reachable() {
    let host_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host_port = host_listener.local_addr().unwrap().port();
    let task = world_dir();
    write_file(task.path(), "probe.py", PY_CONNECT);
    let port = host_port.to_string();
    let cfg = config(
        task.path(),
        &["/usr/bin/python3.11", "/var/task/probe.py", &port],
    );
    let mut sb = Sandbox::prepare(&cfg, &host()).unwrap();
    let api = sb.bind_tcp("127.0.0.1:9001".parse().unwrap()).unwrap();
    let out = read_all(sb.stdout().unwrap());
    let err = read_all(sb.stderr().unwrap());
    sb.start().unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut conn, peer) = loop {
        match api.accept() {
            Ok(c) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    assert!(peer.ip().is_loopback());
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 17];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello from inside");
    conn.write_all(b"pong").unwrap();
    drop(conn);

    let status = wait_exit(&mut sb, Duration::from_secs(10)).unwrap();
    let stdout = out.join().unwrap();
    assert_eq!(
        status,
        ExitStatus::Exited(0),
        "{stdout}{}",
        err.join().unwrap()
    );
    assert!(stdout.contains("host-port refused"), "{stdout}");
    assert!(stdout.contains("api pong"), "{stdout}");
    assert!(
        stdout.contains("1 interfaces"),
        "only lo expected: {stdout}"
    );
    // nothing on the host side connected to our host listener
    host_listener.set_nonblocking(true).unwrap();
    assert!(host_listener.accept().is_err());
}

#[test]
fn sandboxes_do_not_see_each_other() {
    let task = world_dir();
    let a = Sandbox::prepare(&sh(task.path(), "sleep 5"), &host()).unwrap();
    let _api_a = a.bind_tcp("127.0.0.1:9001".parse().unwrap()).unwrap();
    // the second sandbox binds the same address in its own namespace, and cannot reach A's
    let task_b = world_dir();
    write_file(
        task_b.path(),
        "p.py",
        "import socket\ns=socket.socket()\ns.settimeout(1)\ntry:\n s.connect(('127.0.0.1',9002)); print('CONNECTED')\nexcept OSError: print('refused')\n",
    );
    let b_cfg = config(task_b.path(), &["/usr/bin/python3.11", "/var/task/p.py"]);
    let mut b = Sandbox::prepare(&b_cfg, &host()).unwrap();
    let _api_b = b.bind_tcp("127.0.0.1:9001".parse().unwrap()).unwrap();
    let _other_a = a.bind_tcp("127.0.0.1:9002".parse().unwrap()).unwrap();
    let out = read_all(b.stdout().unwrap());
    b.start().unwrap();
    wait_exit(&mut b, Duration::from_secs(10)).unwrap();
    assert_eq!(out.join().unwrap().trim(), "refused");
}
