//! Pagination benchmark: `cargo bench --bench pagination`.
//!
//! One run, one in-process loopback server (blocking, a thread per connection, pages
//! generated on the fly; the scenario is chosen by a path prefix of the base URL, e.g.
//! `http://127.0.0.1:PORT/n=10000/lat=5/v1/convai/test-invocations`):
//!
//! 1. throughput: 10,000 items as 100 pages of 100, `.stream()` (prefetch on and off)
//!    against a minimal hand-written `reqwest` + `serde_json` cursor loop;
//! 2. overlap: server latency 5 ms a page, consumer work 2 ms a page, 100 pages, with and
//!    without prefetch, for a consumer that works synchronously (spinning on the CPU) and
//!    one that awaits (`tokio::time::sleep`);
//! 3. peak memory: the client streams 10^4, 10^5 and 10^6 items, each in a fresh child
//!    process (this binary re-executed), which reports its `VmHWM`.
//!
//! Prints medians over several repetitions and the ratios.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::GetTestInvocationsPageResponseModel;

use common::median;

const PAGE: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("rss-child") {
        rss_child(&args[2], args[3].parse().expect("item count"));
        return;
    }
    // `cargo bench --bench pagination [-- throughput|overlap|memory ...]`: all by default.
    let chosen: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| chosen.is_empty() || chosen.contains(&name);
    let base = start_server();
    println!("pagination benchmark, server {base}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if run("throughput") {
        rt.block_on(throughput(&base));
    }
    if run("overlap") {
        rt.block_on(overlap(&base));
    }
    drop(rt);
    if run("memory") {
        memory(&base);
    }
}

// ---------------------------------------------------------------------------------------
// The server.

/// Starts the server on a background thread; returns `http://127.0.0.1:PORT`.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

fn serve(stream: TcpStream) {
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split(' ').nth(1).unwrap_or("/").to_owned();
        // Skip the headers (GETs without bodies).
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
        }
        let (status, body) = page_for(&target);
        let mut out = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body.as_bytes());
        if writer.write_all(&out).is_err() {
            return;
        }
    }
}

/// `/n=<items>/lat=<ms>/v1/convai/test-invocations?page_size=..&cursor=c<offset>`
fn page_for(target: &str) -> (&'static str, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut n = 0usize;
    let mut latency_ms = 0u64;
    for seg in path.split('/') {
        if let Some(v) = seg.strip_prefix("n=") {
            n = v.parse().unwrap_or(0);
        } else if let Some(v) = seg.strip_prefix("lat=") {
            latency_ms = v.parse().unwrap_or(0);
        }
    }
    let mut size = 30usize;
    let mut start = 0usize;
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("page_size=") {
            size = v.parse().unwrap_or(30);
        } else if let Some(v) = pair.strip_prefix("cursor=c") {
            match v.parse() {
                Ok(o) => start = o,
                Err(_) => return ("422 Unprocessable Entity", r#"{"detail":[]}"#.to_owned()),
            }
        }
    }
    if latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(latency_ms));
    }
    let end = (start + size).min(n);
    let mut body = String::with_capacity(250 * (end - start) + 100);
    body.push_str(r#"{"results":["#);
    for i in start..end {
        if i > start {
            body.push(',');
        }
        use std::fmt::Write as _;
        write!(
            body,
            r#"{{"id":"inv_{i:07}","title":"Folder run {i}","agent_id":"agent_1","branch_id":null,"created_at_unix_secs":{},"passed_count":3,"failed_count":1,"pending_count":0,"test_run_count":4,"repeat_count":1,"access_info":{{"is_creator":true,"creator_name":"Bench","creator_email":"bench@example.com","role":"admin"}}}}"#,
            1_700_000_000 + i
        )
        .unwrap();
    }
    body.push_str("],");
    if end < n {
        body.push_str(&format!(r#""has_more":true,"next_cursor":"c{end}","#));
    } else {
        body.push_str(r#""has_more":false,"#);
    }
    body.push_str(r#""meta":{"total":null}}"#);
    ("200 OK", body)
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Consumes one item: touches it so the work is not optimised away.
fn touch(item: &elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel) -> usize {
    std::hint::black_box(item.id.len() + item.title.len())
}

/// The minimal hand-written cursor loop the streams are compared with.
async fn hand_loop(http: &reqwest::Client, url: &str) -> usize {
    let mut cursor: Option<String> = None;
    let mut count = 0;
    loop {
        let mut req = http.get(url).query(&[("page_size", "100")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let bytes = req.send().await.unwrap().bytes().await.unwrap();
        let page: GetTestInvocationsPageResponseModel = serde_json::from_slice(&bytes).unwrap();
        for item in &page.results {
            touch(item);
            count += 1;
        }
        if !page.has_more {
            return count;
        }
        cursor = page.next_cursor;
    }
}

// ---------------------------------------------------------------------------------------
// 1. Throughput.

async fn throughput(base: &str) {
    const N: usize = 10_000;
    const REPS: usize = 21;
    let prefix = format!("{base}/n={N}/lat=0");
    // The crate's client first: it installs the rustls crypto provider that a plain
    // `reqwest::Client` of this build also needs.
    let client = Client::new(&prefix);
    let http = reqwest::Client::new();
    let url = format!("{prefix}/v1/convai/test-invocations");

    for _ in 0..3 {
        assert_eq!(hand_loop(&http, &url).await, N);
        assert_eq!(consume_with_work(&client, true, Work::None).await, N);
        assert_eq!(consume_with_work(&client, false, Work::None).await, N);
    }
    let (mut hand, mut on, mut off) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..REPS {
        // Rotate the order so that no variant always runs first.
        for k in 0..3 {
            let t = Instant::now();
            let n = match (rep + k) % 3 {
                0 => hand_loop(&http, &url).await,
                1 => consume_with_work(&client, true, Work::None).await,
                _ => consume_with_work(&client, false, Work::None).await,
            };
            assert_eq!(n, N);
            let d = t.elapsed();
            match (rep + k) % 3 {
                0 => hand.push(d),
                1 => on.push(d),
                _ => off.push(d),
            }
        }
    }
    let (hand, on, off) = (median(hand), median(on), median(off));
    println!("\n1. throughput: {N} items, 100 pages of {PAGE}, median of {REPS}");
    println!(
        "   hand-written reqwest+serde_json loop   {:8.2} ms",
        ms(hand)
    );
    println!(
        "   .stream() (prefetch on, default)       {:8.2} ms   ratio {:.3}x",
        ms(on),
        on.as_secs_f64() / hand.as_secs_f64()
    );
    println!(
        "   .stream().prefetch(false)              {:8.2} ms   ratio {:.3}x",
        ms(off),
        off.as_secs_f64() / hand.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// 2. Overlap of server latency and consumer work.

#[derive(Clone, Copy)]
enum Work {
    /// No work: the server's latency alone (the floor any consumer can reach).
    None,
    /// Spins on the CPU for 20 µs an item (2 ms a page), never yielding.
    Sync,
    /// Blocks the thread in `std::thread::sleep(2 ms)` after each page.
    Blocking,
    /// Awaits `tokio::time::sleep(2 ms)` after each page.
    Async,
}

async fn consume_with_work(client: &Client, prefetch: bool, work: Work) -> usize {
    let mut stream = client
        .list_test_invocations()
        .page_size(PAGE as u64)
        .stream()
        .prefetch(prefetch);
    let mut count = 0;
    while let Some(item) = stream.next().await {
        touch(&item.unwrap());
        count += 1;
        match work {
            Work::Sync => {
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(20) {
                    std::hint::spin_loop();
                }
            }
            Work::Blocking if count % PAGE == 0 => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Work::Async if count % PAGE == 0 => {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Work::Async | Work::Blocking | Work::None => {}
        }
    }
    count
}

/// Control for the CPU-bound consumer: a hand-written loop that spawns the next request as
/// soon as a page arrives, with the same work (20 µs of spinning an item).
async fn hand_prefetch_spin(http: &reqwest::Client, url: &str) -> usize {
    let fetch = |cursor: Option<String>| {
        let mut req = http.get(url).query(&[("page_size", "100")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        tokio::spawn(async move {
            let bytes = req.send().await.unwrap().bytes().await.unwrap();
            serde_json::from_slice::<GetTestInvocationsPageResponseModel>(&bytes).unwrap()
        })
    };
    let mut next = fetch(None);
    let mut count = 0;
    loop {
        let page = next.await.unwrap();
        let more = page.has_more;
        if more {
            next = fetch(page.next_cursor.clone());
            tokio::task::yield_now().await;
        } else {
            next = tokio::spawn(std::future::pending());
            next.abort();
        }
        for item in &page.results {
            touch(item);
            count += 1;
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(20) {
                std::hint::spin_loop();
            }
        }
        if !more {
            return count;
        }
    }
}

async fn overlap(base: &str) {
    const N: usize = 10_000;
    const REPS: usize = 5;
    const SERVER_MS: f64 = 5.0 * 100.0;
    const CONSUMER_MS: f64 = 2.0 * 100.0;
    let client = Client::new(&format!("{base}/n={N}/lat=5"));
    assert_eq!(consume_with_work(&client, true, Work::Async).await, N);
    let ideal = SERVER_MS.max(CONSUMER_MS);
    println!("\n2. overlap: 100 pages, server 5 ms a page, consumer 2 ms a page, median of {REPS}");
    println!(
        "   ideal max(server, consumer) = {ideal:.0} ms; serial sum = {:.0} ms",
        SERVER_MS + CONSUMER_MS
    );
    println!("   consumer in `block_on` (main thread) | in a task spawned on a worker");
    for (work, name) in [
        (Work::None, "no work (server alone)"),
        (Work::Sync, "synchronous (CPU) work"),
        (Work::Blocking, "blocking work (sleep)"),
        (Work::Async, "awaited work (sleep)"),
    ] {
        for prefetch in [true, false] {
            let mut here = Vec::new();
            let mut spawned = Vec::new();
            for _ in 0..REPS {
                let t = Instant::now();
                assert_eq!(consume_with_work(&client, prefetch, work).await, N);
                here.push(t.elapsed());
                let c = client.clone();
                let t = Instant::now();
                let n = tokio::spawn(async move { consume_with_work(&c, prefetch, work).await })
                    .await
                    .unwrap();
                assert_eq!(n, N);
                spawned.push(t.elapsed());
            }
            let (a, b) = (ms(median(here)), ms(median(spawned)));
            println!(
                "   {name:<24} prefetch {:<5} {a:7.1} ms {:.3}x | {b:7.1} ms {:.3}x of ideal",
                prefetch,
                a / ideal,
                b / ideal
            );
        }
    }
    // The same CPU-bound consumer with a hand-written spawn-ahead loop, to tell the engine's
    // share from the runtime's and the machine's.
    let http = reqwest::Client::new();
    let url = format!("{base}/n={N}/lat=5/v1/convai/test-invocations");
    let mut times = Vec::new();
    for _ in 0..REPS {
        let t = Instant::now();
        assert_eq!(hand_prefetch_spin(&http, &url).await, N);
        times.push(t.elapsed());
    }
    let m = ms(median(times));
    println!(
        "   control: hand-written spawn-ahead loop, CPU work, in block_on: {m:7.1} ms {:.3}x of ideal",
        m / ideal
    );
}

// ---------------------------------------------------------------------------------------
// 3. Peak memory, each listing in a fresh process.

fn memory(base: &str) {
    println!("\n3. peak RSS of a client process streaming N items (pages of {PAGE})");
    let exe = std::env::current_exe().unwrap();
    for n in [10_000usize, 100_000, 1_000_000] {
        let t = Instant::now();
        let out = std::process::Command::new(&exe)
            .args(["rss-child", base, &n.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        println!(
            "   N = {n:>9}: {}  ({:.1} s)",
            text.trim(),
            t.elapsed().as_secs_f64()
        );
    }
}

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn rss_child(base: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(&format!("{base}/n={n}/lat=0"));
    let before = vm_hwm_kb();
    let count = rt.block_on(async {
        let mut stream = client.list_test_invocations().page_size(100).stream();
        let mut count = 0usize;
        let mut expected = String::new();
        while let Some(item) = stream.next().await {
            let item = item.unwrap();
            use std::fmt::Write as _;
            expected.clear();
            write!(expected, "inv_{count:07}").unwrap();
            assert_eq!(item.id, expected, "items out of order");
            count += 1;
        }
        count
    });
    assert_eq!(count, n);
    let peak = vm_hwm_kb();
    println!(
        "items {count}, VmHWM {:.1} MB (before streaming {:.1} MB)",
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
