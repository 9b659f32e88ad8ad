//! `bluegreen push` as a user runs it, against moto's S3 (versioned and
//! unversioned buckets) and the scripted CodeDeploy endpoint, which keeps
//! the revisions registered: what is registered names the object S3 holds,
//! the same content is uploaded once, a new content never replaces an old
//! one, a big bundle goes up in parts, and every problem found before the
//! upload is one line with a hint, exit 2, and an unchanged bucket.

use std::io::Read;
use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, VersioningConfiguration,
};
use serde_json::Value;

use super::World;
use super::cli::{aws_env, one_line, run};
use super::codedeploy::GroupSettings;
use super::env::{Env, KEY_ID, SECRET};
use super::moto::{moto, region, scratch};
use super::sample::{noise, write};
use bluegreen::cloud::Cloud;

/// An S3 client of the test's own, on moto.
async fn s3(region: &str) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .region(Region::new(region.to_string()))
        .endpoint_url(&moto().url)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(KEY_ID, SECRET, None, None, "test"))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
}

/// A bucket in `region`, made by a client of that region (S3's names are
/// global: each test names its own).
async fn bucket(name: &str, region: &str, versioned: bool) {
    let s3 = s3(region).await;
    let mut create = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build(),
        );
    }
    create.send().await.expect("CreateBucket");
    if versioned {
        s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
    }
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = s3.list_object_versions().bucket(bucket).send().await.expect("ListObjectVersions");
    out.versions().iter().map(|v| format!("{}@{}", v.key().unwrap_or(""), v.version_id().unwrap_or(""))).collect()
}

/// The tutorial's sample app as a directory: an appspec with two hooks,
/// their scripts (executable), the page, a hidden file and an empty folder.
fn sample(name: &str) -> PathBuf {
    let dir = scratch(&format!("push-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir.join("appspec.yml"),
        b"version: 0.0\nos: linux\nfiles:\n  - source: /web\n    destination: /var/www/html\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n  ValidateService:\n    - location: scripts/validate.sh\n",
        0o644,
    );
    write(&dir.join("scripts/start.sh"), b"#!/bin/sh\nsystemctl start httpd\n", 0o755);
    write(&dir.join("scripts/validate.sh"), b"#!/bin/sh\ncurl -fs localhost | grep 'version: 2'\n", 0o755);
    write(&dir.join("web/index.html"), b"application version: 2\n", 0o644);
    write(&dir.join(".git/HEAD"), b"ref: refs/heads/main\n", 0o644);
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    dir
}

fn pushed(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "push: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON object: {text}");
    serde_json::from_str(&text).unwrap()
}

fn zip_of(bytes: Vec<u8>) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip")
}

/// A path to moto's S3 that answers every request for part `part` of a
/// multipart upload with a server error, as a lost part would be.
async fn losing_part(part: u32) -> String {
    use bluegreen::net::{Body, serve};
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = bluegreen::net::client(true);
    let handler = move |req: hyper::Request<hyper::body::Incoming>, _peer| {
        let client = client.clone();
        async move {
            let (head, body) = req.into_parts();
            let path = head.uri.path_and_query().map(ToString::to_string).unwrap_or_default();
            if path.contains(&format!("partNumber={part}&")) || path.ends_with(&format!("partNumber={part}")) {
                let xml =
                    "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>part lost</Message></Error>";
                return bluegreen::net::respond(hyper::StatusCode::INTERNAL_SERVER_ERROR, "application/xml", xml);
            }
            let bytes = body.collect().await.unwrap().to_bytes();
            let mut forward = hyper::Request::builder().method(head.method).uri(format!("{}{path}", moto().url));
            for (k, v) in &head.headers {
                if k != hyper::header::HOST {
                    forward = forward.header(k, v);
                }
            }
            let answer = client.request(forward.body(Body::from(bytes)).unwrap()).await.unwrap();
            let (head, body) = answer.into_parts();
            hyper::Response::from_parts(head, Body::from(body.collect().await.unwrap().to_bytes()))
        }
    };
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::mem::forget(stop);
    tokio::spawn(serve(listener, handler, stop_rx, std::time::Duration::from_secs(1)));
    url
}

/// A directory whose bundle is over 20 MiB (three parts): incompressible bytes.
fn big(name: &str) -> (PathBuf, Vec<u8>) {
    let dir = sample(name);
    let noise = noise(20 << 20);
    write(&dir.join("web/blob.bin"), &noise, 0o644);
    (dir, noise)
}

async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).send().await.expect("GetObject");
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one story: push, again, changed, versioned, the picker, a big one")]
async fn push_uploads_once_registers_what_s3_holds_and_never_replaces_a_bundle() {
    let region = region();
    let world = World::new(Env::alb(region, 2).await, GroupSettings::tutorial(true)).await;
    let s3 = s3(region).await;
    bucket("bg-push-plain", region, false).await;
    bucket("bg-push-versioned", region, true).await;
    let vars = aws_env(&world.fake, region, "push");
    let _ = std::fs::remove_file(scratch("home-push").join("state/bluegreen/bluegreen.log"));
    let dir = sample("app");
    let push = |bucket: &'static str| {
        let (vars, dir) = (vars.clone(), dir.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                run(
                    &vars,
                    &[
                        "push",
                        dir.to_str().unwrap(),
                        "--app",
                        "bluegreen-app",
                        "--bucket",
                        bucket,
                        "--prefix",
                        "/releases/",
                        "--json",
                    ],
                )
            })
            .await
            .unwrap()
        }
    };

    // The first push uploads and registers the object S3 holds.
    let first = pushed(&push("bg-push-plain").await);
    assert_eq!(first["uploaded"], true);
    assert_eq!(first["schema_version"], 1);
    let key = first["key"].as_str().unwrap().to_string();
    let sha = first["sha256"].as_str().unwrap();
    assert_eq!(key, format!("releases/bluegreen-app-{}.zip", &sha[..16]), "named by its content");
    let head = s3.head_object().bucket("bg-push-plain").key(&key).send().await.expect("the object");
    assert_eq!(first["etag"].as_str().unwrap(), head.e_tag().unwrap().trim_matches('"'), "the registered ETag is S3's");
    assert_eq!(first["size"].as_i64(), head.content_length());
    assert!(first["version"].is_null(), "no version in an unversioned bucket");
    let registered = world.fake.registered();
    let (location, description) = &registered[0];
    assert_eq!(location["s3Location"]["key"], key.as_str());
    assert_eq!(location["s3Location"]["bucket"], "bg-push-plain");
    assert_eq!(location["s3Location"]["bundleType"], "zip");
    assert_eq!(location["s3Location"]["eTag"], first["etag"]);
    assert!(description.starts_with("pushed by bluegreen ") && description.contains("push-app"), "{description}");

    // What went up: the files relative to the directory, sorted, hidden
    // ones included, no empty folder, the scripts' modes kept.
    let mut zip = zip_of(object(&s3, "bg-push-plain", &key).await);
    let names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().to_string()).collect();
    assert_eq!(names, [".git/HEAD", "appspec.yml", "scripts/start.sh", "scripts/validate.sh", "web/index.html"]);
    assert_eq!(zip.by_name("scripts/start.sh").unwrap().unix_mode().map(|m| m & 0o777), Some(0o755));
    assert_eq!(zip.by_name("web/index.html").unwrap().unix_mode().map(|m| m & 0o777), Some(0o644));
    let mut page = String::new();
    zip.by_name("web/index.html").unwrap().read_to_string(&mut page).unwrap();
    assert_eq!(page, "application version: 2\n");

    // The same directory again: nothing uploaded, the same location.
    let before = keys(&s3, "bg-push-plain").await;
    let again = pushed(&push("bg-push-plain").await);
    assert_eq!(again["uploaded"], false, "not uploaded twice");
    assert_eq!((&again["key"], &again["etag"]), (&first["key"], &first["etag"]));
    assert_eq!(keys(&s3, "bg-push-plain").await, before, "the bucket is as it was");
    let registered = world.fake.registered();
    assert_eq!(registered.iter().filter(|(l, _)| l["s3Location"]["key"] == key.as_str()).count(), 1);

    // One byte changed: a new object; the old one is intact.
    write(&dir.join("web/index.html"), b"application version: 3\n", 0o644);
    let third = pushed(&push("bg-push-plain").await);
    assert_eq!(third["uploaded"], true);
    assert_ne!(third["key"], first["key"], "a new content, a new name");
    let old = s3.head_object().bucket("bg-push-plain").key(&key).send().await.expect("the old object");
    assert_eq!(old.e_tag().unwrap().trim_matches('"'), first["etag"].as_str().unwrap(), "the old object is untouched");
    assert_eq!(keys(&s3, "bg-push-plain").await.len(), 2);

    // A versioned bucket: the version goes to the registration.
    let versioned = pushed(&push("bg-push-versioned").await);
    let head =
        s3.head_object().bucket("bg-push-versioned").key(versioned["key"].as_str().unwrap()).send().await.unwrap();
    let version = versioned["version"].as_str().expect("a version");
    assert_eq!(Some(version), head.version_id());
    assert_eq!(world.fake.registered()[0].0["s3Location"]["version"], version);

    // The console's deploy picker shows the newest push first, with its
    // description and age.
    let obs = world.cloud.observe().await.expect("a look");
    let plan = bluegreen::cloud::plan::plan(&obs, bluegreen::cloud::plan::Intent::Deploy, 0).expect("a deploy plan");
    let first_choice = &plan.choices[0];
    assert!(first_choice.contains(versioned["key"].as_str().unwrap()), "{first_choice}");
    assert!(first_choice.contains("registered ") && first_choice.contains(" ago"), "{first_choice}");
    assert!(first_choice.contains("pushed by bluegreen"), "{first_choice}");
    assert!(
        plan.choices.iter().any(|c| c.contains("newversion-v1") && c.contains("application version 1")),
        "{:?}",
        plan.choices
    );

    // A bundle of 20 MiB goes up in parts, and S3 holds what was zipped.
    let (big, noise) = big("big");
    let (vars2, big2) = (vars.clone(), big.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(&vars2, &["push", big2.to_str().unwrap(), "--app", "bluegreen-app", "--bucket", "bg-push-plain", "--json"])
    })
    .await
    .unwrap();
    let large = pushed(&out);
    assert!(large["size"].as_u64().unwrap() > 20 << 20);
    let etag = large["etag"].as_str().unwrap();
    assert!(etag.ends_with("-3"), "three parts of 8 MiB make a multipart ETag: {etag}");
    let mut zip = zip_of(object(&s3, "bg-push-plain", large["key"].as_str().unwrap()).await);
    let mut blob = Vec::new();
    zip.by_name("web/blob.bin").unwrap().read_to_end(&mut blob).unwrap();
    assert!(blob == noise, "the big file comes back whole");
    let uploads = s3.list_multipart_uploads().bucket("bg-push-plain").send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "no upload left open");

    // What push sent, from its log, against the operator policy: its two
    // statements allow exactly those actions, and s3:ListBucket (without
    // which S3 answers a missing object with 403, not 404).
    let log = std::fs::read_to_string(scratch("home-push").join("state/bluegreen/bluegreen.log")).unwrap();
    let sent: std::collections::BTreeSet<String> = log
        .lines()
        .filter_map(|l| l.split(" action=").nth(1))
        .map(|a| a.split(' ').next().unwrap().trim_matches('"').to_string())
        .collect();
    for action in ["s3:GetBucketLocation", "s3:GetObject", "s3:PutObject", "codedeploy:RegisterApplicationRevision"] {
        assert!(sent.contains(action), "push sent {action}: {sent:?}");
    }
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/assets/iam/operator.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    let allowed = |sids: &[&str]| -> std::collections::BTreeSet<String> {
        statements
            .iter()
            .filter(|s| sids.contains(&s["Sid"].as_str().unwrap()))
            .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
            .collect()
    };
    let everything = allowed(&statements.iter().map(|s| s["Sid"].as_str().unwrap()).collect::<Vec<_>>());
    for action in &sent {
        assert!(everything.contains(action), "the operator policy misses {action}");
    }
    let push_only: std::collections::BTreeSet<String> = sent
        .iter()
        .filter(|a| a.starts_with("s3:") || *a == "codedeploy:RegisterApplicationRevision")
        .cloned()
        .chain(["s3:ListBucket".to_string(), "s3:AbortMultipartUpload".to_string()])
        .collect();
    assert_eq!(allowed(&["BluegreenPushRegister", "BluegreenPushBundles"]), push_only, "exactly what push sends");
    let read_only =
        std::fs::read_to_string(format!("{}/assets/iam/read-only.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // Read-only may look at a bundle (HeadObject, to warn of one overwritten), never write one.
    let s3_actions: Vec<&str> = read_only.split('"').filter(|w| w.starts_with("s3:")).collect();
    assert_eq!(s3_actions, ["s3:GetObject"], "read-only cannot push");
    assert!(!read_only.contains("RegisterApplicationRevision"), "read-only cannot register");
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one region: each refusal, a lost part, a squatted name, a secret")]
async fn what_is_wrong_before_the_upload_is_one_line_and_the_bucket_is_unchanged() {
    let region = region();
    let world = World::new(Env::alb(region, 2).await, GroupSettings::tutorial(true)).await;
    let s3 = s3(region).await;
    bucket("bg-push-refused", region, true).await;
    let elsewhere = if region == "eu-west-3" { "eu-west-2" } else { "eu-west-3" };
    bucket("bg-push-elsewhere", elsewhere, false).await;
    let vars = aws_env(&world.fake, region, "push-refused");

    let no_appspec = sample("no-appspec");
    std::fs::remove_file(no_appspec.join("appspec.yml")).unwrap();
    let missing_hook = sample("missing-hook");
    std::fs::remove_file(missing_hook.join("scripts/validate.sh")).unwrap();
    let symlink = sample("symlink");
    std::os::unix::fs::symlink("/etc/hostname", symlink.join("web/hostname")).unwrap();
    let hidden_hook = sample("hidden-hook");
    write(
        &hidden_hook.join("appspec.yml"),
        b"version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: .hooks/start.sh\n",
        0o644,
    );
    write(&hidden_hook.join(".hooks/start.sh"), b"#!/bin/sh\n", 0o755);
    let good = sample("good");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![no_appspec.display().to_string()], "has no appspec.yml"),
        (
            vec![missing_hook.display().to_string()],
            "ValidateService runs scripts/validate.sh, which is not in the bundle",
        ),
        (vec![symlink.display().to_string()], "web/hostname is a symbolic link"),
        (
            vec![hidden_hook.display().to_string(), "--ignore-hidden-files".into()],
            "runs .hooks/start.sh, which is not in the bundle",
        ),
        (vec![scratch("push-nowhere").display().to_string()], "no such file or directory"),
        (vec![good.join("appspec.yml").display().to_string()], "is not a directory"),
    ];
    let before = keys(&s3, "bg-push-refused").await;
    for (args, says) in cases {
        let vars = vars.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut all: Vec<&str> = vec!["push"];
            all.extend(args.iter().map(String::as_str));
            all.extend(["--app", "bluegreen-app", "--bucket", "bg-push-refused"]);
            run(&vars, &all)
        })
        .await
        .unwrap();
        one_line(&out, says);
    }
    let good = good.display().to_string();
    let remote: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--bucket", "bg-push-nowhere"], "no bucket 'bg-push-nowhere'"),
        (
            vec!["--bucket", "bg-push-elsewhere"],
            &*Box::leak(
                format!("bucket bg-push-elsewhere is in {elsewhere}, the application in {region}").into_boxed_str(),
            ),
        ),
        (vec!["--bucket", "s3://bg-push-refused"], "is not a bucket name"),
        (vec!["--bucket", "bg-push-refused", "--app", "nope"], "no CodeDeploy application 'nope'"),
        (vec!["--bucket", "bg-push-refused", "--prefix", "a/../b"], "is not a folder path"),
    ];
    for (args, says) in remote {
        let (vars, good) = (vars.clone(), good.clone());
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let out = tokio::task::spawn_blocking(move || {
            let mut all: Vec<&str> = vec!["push", &good];
            if !args.iter().any(|a| a == "--app") {
                all.extend(["--app", "bluegreen-app"]);
            }
            all.extend(args.iter().map(String::as_str));
            run(&vars, &all)
        })
        .await
        .unwrap();
        one_line(&out, says);
    }
    assert_eq!(keys(&s3, "bg-push-refused").await, before, "nothing was uploaded");
    assert!(keys(&s3, "bg-push-elsewhere").await.is_empty(), "nothing was uploaded");
    assert_eq!(world.fake.count("RegisterApplicationRevision"), 0, "nothing was registered");

    // A part lost for good: the upload is aborted, nothing is left or registered.
    let (lost, _) = big("lost-part");
    let mut through = vars.clone();
    through.push(("AWS_ENDPOINT_URL_S3".into(), losing_part(2).await));
    let dir = lost.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        run(&through, &["push", &dir, "--app", "bluegreen-app", "--bucket", "bg-push-refused"])
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("cannot upload part 2 of s3://bg-push-refused/bluegreen-app-") && err.contains("(hint: "),
        "{err}"
    );
    assert_eq!(keys(&s3, "bg-push-refused").await, before, "no object");
    let uploads = s3.list_multipart_uploads().bucket("bg-push-refused").send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "the upload was aborted: {:?}", uploads.uploads());
    assert_eq!(world.fake.count("RegisterApplicationRevision"), 0, "nothing was registered");

    // Another content where the bundle's name points is never replaced.
    bucket("bg-push-squatted", region, false).await;
    let (vars2, dir) = (vars.clone(), good.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(&vars2, &["push", &dir, "--app", "bluegreen-app", "--bucket", "bg-push-refused", "--json"])
    })
    .await
    .unwrap();
    let key = pushed(&out)["key"].as_str().unwrap().to_string();
    s3.put_object().bucket("bg-push-squatted").key(&key).body(b"other".to_vec().into()).send().await.unwrap();
    let (vars2, dir) = (vars.clone(), good.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(&vars2, &["push", &dir, "--app", "bluegreen-app", "--bucket", "bg-push-squatted"])
    })
    .await
    .unwrap();
    one_line(&out, "is there with another content; bluegreen never replaces a bundle");
    assert_eq!(object(&s3, "bg-push-squatted", &key).await, b"other", "the object is as it was");
    assert_eq!(world.fake.count("RegisterApplicationRevision"), 1, "only the first push registered");

    // A secret in the bundle is named in a warning; the push goes on.
    let secretive = sample("secretive");
    write(&secretive.join(".env"), b"TOKEN=x\n", 0o600);
    write(&secretive.join("tls/site.pem"), b"-----BEGIN-----\n", 0o600);
    let (vars2, dir) = (vars.clone(), secretive.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        run(&vars2, &["push", &dir, "--app", "bluegreen-app", "--bucket", "bg-push-refused"])
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("look like secrets: .env, tls/site.pem") && err.contains("--ignore-hidden-files"), "{err}");
    assert!(text.contains("uploaded   s3://bg-push-refused/bluegreen-app-"), "{text}");
    assert!(
        text.contains("next       bluegreen --app bluegreen-app --group bluegreen-dg, then d to deploy it"),
        "{text}"
    );
}

/// A revision whose S3 object was pushed again under the same key after it
/// was registered: the console's look (HeadObject) finds the other ETag,
/// and the deploy plan says so before it can be confirmed; a deleted
/// object reads as gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_overwritten_after_its_registration_is_found_before_deploying() {
    let region = region();
    let world = World::new(Env::alb(region, 2).await, GroupSettings::tutorial(true)).await;
    let name = format!("bg-overwritten-{}", std::process::id());
    bucket(&name, region, false).await;
    let s3 = s3(region).await;
    let put = |body: &'static [u8]| {
        s3.put_object()
            .bucket(&name)
            .key("app/same.zip")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
            .send()
    };
    let etag = put(b"first content").await.unwrap().e_tag().unwrap().trim_matches('"').to_string();
    let location = aws_sdk_codedeploy::types::RevisionLocation::builder()
        .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::S3)
        .s3_location(
            aws_sdk_codedeploy::types::S3Location::builder()
                .bucket(&name)
                .key("app/same.zip")
                .bundle_type(aws_sdk_codedeploy::types::BundleType::Zip)
                .e_tag(&etag)
                .build(),
        )
        .build();
    world
        .codedeploy
        .register_application_revision()
        .application_name("bluegreen-app")
        .revision(location)
        .send()
        .await
        .unwrap();
    let deploy_plan = |obs: &bluegreen::domain::Observation| {
        bluegreen::cloud::plan::plan(obs, bluegreen::cloud::plan::Intent::Deploy, 0).unwrap()
    };
    let obs = world.fresh_cloud().await.observe().await.unwrap();
    assert_eq!(obs.revisions[0].stored, bluegreen::domain::Stored::Same, "as registered");
    assert!(deploy_plan(&obs).warnings.is_empty());

    let now = put(b"another content").await.unwrap().e_tag().unwrap().trim_matches('"').to_string();
    let cloud = world.fresh_cloud().await;
    let obs = cloud.observe().await.unwrap();
    assert_eq!(obs.revisions[0].stored, bluegreen::domain::Stored::Overwritten { etag: now.clone() });
    let warnings = deploy_plan(&obs).warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with(&format!("s3://{name}/app/same.zip was overwritten after same@")), "{warnings:?}");
    assert!(warnings[0].contains(&format!("(ETag now {now}, registered {etag})")), "{warnings:?}");
    let heads = cloud.calls().counts().get("s3:GetObject").copied();
    assert_eq!(heads, Some(obs.revisions.len().min(5) as u64), "one HeadObject a revision, the newest five");

    s3.delete_object().bucket(&name).key("app/same.zip").send().await.unwrap();
    let obs = world.fresh_cloud().await.observe().await.unwrap();
    assert_eq!(obs.revisions[0].stored, bluegreen::domain::Stored::Missing);
    assert!(deploy_plan(&obs).warnings[0].contains("is gone from S3"));
}
