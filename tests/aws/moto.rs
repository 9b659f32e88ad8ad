//! A real moto server for the AWS tests, installed and started by the tests
//! themselves: moto 5.2.5 with its server extra (and cfn-lint, pinned) goes
//! into a virtual environment under the build directory on first use (a
//! file lock keeps parallel tests from installing twice), and one server per
//! test process listens on a free 127.0.0.1 port, started by
//! `moto_server.py`, which gives moto's CloudFormation the route-table
//! delete it lacks. It dies with the test process. Tests keep apart by
//! region: moto keeps each region's state on its own.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The moto release the tests are written against.
pub const MOTO: &str = "moto[server]==5.2.5";

/// The cfn-lint release that checks the tutorial's template (moto's server
/// extra pulls cfn-lint too, unpinned: this pins it in the same install).
pub const CFN_LINT: &str = "cfn-lint==1.58.0";

/// Where the virtual environment lives: beside the build's other products.
pub fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("moto-venv")
}

/// Installs moto (and, with `extra`, more packages) unless already there.
pub fn install(extra: &[&str]) -> PathBuf {
    let venv = venv();
    std::fs::create_dir_all(venv.parent().unwrap()).unwrap();
    let lock = std::fs::File::create(venv.with_extension("lock")).unwrap();
    lock.lock().expect("the install lock");
    let marker = venv.join(format!(
        "installed-{}",
        [MOTO, CFN_LINT].iter().chain(extra).copied().collect::<Vec<_>>().join("+").replace(['[', ']', '=', '/'], "_")
    ));
    if !marker.exists() {
        if !venv.join("bin/python").exists() {
            run(Command::new(python()).args(["-m", "venv"]).arg(&venv), "create the virtual environment");
        }
        let mut pip = Command::new(venv.join("bin/pip"));
        pip.args(["install", "--quiet", "--disable-pip-version-check", MOTO, CFN_LINT]).args(extra);
        run(&mut pip, "install moto");
        std::fs::write(&marker, b"").unwrap();
    }
    drop(lock);
    venv
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot {what}: {e}"));
    assert!(
        out.status.success(),
        "cannot {what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    pub url: String,
}

/// The test process's moto server, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO_SERVER: OnceLock<Moto> = OnceLock::new();
    MOTO_SERVER.get_or_init(start)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start() -> Moto {
    let venv = install(&[]);
    let port = free_port();
    // moto's server with the one CloudFormation delete it lacks (see the script).
    let python = venv.join("bin/python");
    let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/moto_server.py");
    // A watchdog shell ends the server when this test process ends.
    let script = format!(
        "'{}' '{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; while kill -0 {} 2>/dev/null; do sleep 1; done; kill $m",
        python.display(),
        launcher.display(),
        std::process::id()
    );
    #[expect(clippy::zombie_processes, reason = "the watchdog lives as long as the test process")]
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url);
    Moto { url }
}

/// Waits until `GET /moto-api/` answers.
fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = url.trim_start_matches("http://").to_string();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = s.write_all(format!("GET /moto-api/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes());
            let mut buf = [0u8; 12];
            if std::io::Read::read(&mut s, &mut buf).is_ok_and(|n| n >= 12) && &buf[9..12] == b"200" {
                return;
            }
        }
        assert!(Instant::now() < deadline, "moto did not answer on {url}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A region no other test of this process uses (moto keeps regions apart).
pub fn region() -> &'static str {
    const REGIONS: [&str; 30] = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "sa-east-1",
        "eu-south-1",
        "af-south-1",
        "ap-east-1",
        "me-south-1",
        "eu-central-2",
        "ap-south-2",
        "il-central-1",
        "ap-southeast-3",
        "ap-southeast-4",
        "eu-south-2",
        "me-central-1",
        "ca-west-1",
        "ap-southeast-5",
    ];
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    REGIONS.get(n).copied().unwrap_or_else(|| panic!("more AWS tests than regions to keep them apart ({n})"))
}

/// A region of its own for a test that needs no more of moto than EC2,
/// Auto Scaling and load balancers (these regions lack the SSM parameters
/// and images the tutorial's kit reads).
pub fn spare_region() -> &'static str {
    const SPARE: [&str; 4] = ["mx-central-1", "ap-east-2", "ap-southeast-6", "ap-southeast-7"];
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    SPARE.get(n).copied().unwrap_or_else(|| panic!("more tests than spare regions ({n})"))
}

/// A path in the build directory (for a test's log file).
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aws-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
