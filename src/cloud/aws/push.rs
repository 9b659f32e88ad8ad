//! `push` on AWS: the checks before anything leaves (the application, the
//! bucket and its region), the existence check of a content-addressed
//! object, the upload (one PutObject below [`PART`], else a multipart
//! upload in parts of [`PART`], aborted on failure or interrupt), and the
//! registration of the revision. An object is written only where none is
//! (`If-None-Match: *`), so an upload never replaces another bundle.

use std::fs::File;
use std::os::unix::fs::FileExt;

use aws_sdk_codedeploy::types::{BundleType, RevisionLocation, RevisionLocationType, S3Location};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};

use super::clients::{self, Clients};
use super::discover;
use super::errors::api_error;
use crate::cloud::ApiError;
use crate::domain::clean;
use crate::exit::Failure;

/// The size of an upload's parts, and the size from which a bundle goes up
/// in parts.
pub const PART: u64 = 8 * 1024 * 1024;

/// How many parts go up at once.
const PARALLEL: usize = 4;

/// Where a bundle goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub bucket: String,
    pub key: String,
}

/// The object as S3 keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The ETag, without quotes.
    pub etag: String,
    /// The object's version, when the bucket keeps versions.
    pub version: Option<String>,
    /// Whether this run uploaded it (false: it was already there).
    pub uploaded: bool,
}

/// The bundle to upload.
#[derive(Debug)]
pub struct Upload<'a> {
    pub file: &'a File,
    pub size: u64,
    pub sha256: &'a str,
}

/// The clients `push` uses.
#[derive(Debug)]
pub struct Pusher {
    clients: Clients,
    region: String,
}

/// What S3 or CodeDeploy said, as one line with what to do.
fn failed(what: &str, e: &ApiError) -> Failure {
    let hint = match e.code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "AllAccessDisabled" => {
            "the permissions push needs are in assets/iam/operator.json"
        }
        "Unreachable" | "Timeout" | "ConnectionLost" => "check the network, a proxy, or AWS_ENDPOINT_URL",
        _ => "run with RUST_LOG=debug and read the log file for the whole answer",
    };
    Failure::Failed(format!("{what}: {e} (hint: {hint})"))
}

impl Pusher {
    /// The clients of the standard chain (or the given region and profile),
    /// with a region and credentials, or one line saying what is missing.
    pub async fn connect(region: Option<&str>, profile: Option<&str>) -> Result<Self, Failure> {
        let (clients, region) = discover::connected(region, profile).await?;
        Ok(Self { clients, region })
    }

    /// On clients already made (`tutorial up` pushes with its own).
    pub fn with(clients: Clients, region: String) -> Self {
        Self { clients, region }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether the object at `place`, as stored, is a registered revision of
    /// `application`.
    pub async fn registered(&self, application: &str, place: &Place, stored: &Stored) -> Result<bool, Failure> {
        let revision = revision(place, stored);
        match self
            .clients
            .codedeploy
            .get_application_revision()
            .application_name(application)
            .revision(revision)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = api_error("GetApplicationRevision", &e);
                if e.code == "RevisionDoesNotExistException" {
                    Ok(false)
                } else {
                    Err(failed(&format!("cannot tell whether {} is registered", location(place)), &e))
                }
            }
        }
    }

    /// Checks the application exists (or picks the only one) and the bucket
    /// is in its region; gives the application and its deployment groups.
    pub async fn check(&self, application: Option<&str>, bucket: &str) -> Result<(String, Vec<String>), Failure> {
        let region = &self.region;
        let usage = |what: &str, e: &ApiError| match failed(what, e) {
            Failure::Failed(line) => Failure::Usage(line),
            other => other,
        };
        let app = discover::application_named(&self.clients, region, application).await?;
        let groups = discover::groups(&self.clients, region, &app).await?;
        let location = self.clients.s3.get_bucket_location().bucket(bucket).send().await.map_err(|e| {
            let e = api_error("GetBucketLocation", &e);
            if e.code == "NoSuchBucket" {
                Failure::Usage(format!(
                    "no bucket '{}' (hint: check --bucket; create one in {region} with versioning on)",
                    clean(bucket, 100)
                ))
            } else {
                usage(&format!("cannot read bucket {}", clean(bucket, 100)), &e)
            }
        })?;
        // S3 names us-east-1 by no constraint at all (and eu-west-1, of old, EU).
        let bucket_region = match location.location_constraint().map(|c| c.as_str().to_string()) {
            None => "us-east-1".to_string(),
            Some(c) if c.is_empty() => "us-east-1".to_string(),
            Some(c) if c == "EU" => "eu-west-1".to_string(),
            Some(c) => clean(&c, 40),
        };
        if bucket_region != *region {
            return Err(Failure::Usage(format!(
                "bucket {} is in {bucket_region}, the application in {region} (hint: CodeDeploy reads a bundle from a bucket in the application's region; use a bucket in {region})",
                clean(bucket, 100)
            )));
        }
        Ok((app, groups))
    }

    /// The object at `place`, if it is there with this content; `None` if
    /// there is nothing. Another content there is refused: an object is
    /// never replaced.
    pub async fn existing(&self, place: &Place, bundle: &Upload<'_>) -> Result<Option<Stored>, Failure> {
        let found = self.clients.s3.head_object().bucket(&place.bucket).key(&place.key).send().await;
        let head = match found {
            Ok(head) => head,
            Err(e) => {
                let e = api_error("HeadObject", &e);
                return match e.code.as_str() {
                    "NotFound" | "NoSuchKey" => Ok(None),
                    "Forbidden" | "AccessDenied" | "Unknown" if !e.uncertain => Err(Failure::Failed(format!(
                        "cannot tell whether {} is there: {e} (hint: push needs s3:GetObject and s3:ListBucket on the bucket, as in assets/iam/operator.json)",
                        location(place)
                    ))),
                    _ => Err(failed(&format!("cannot look for {}", location(place)), &e)),
                };
            }
        };
        let same = head.metadata().and_then(|m| m.get("sha256")).is_some_and(|s| s == bundle.sha256)
            && head.content_length().and_then(|l| u64::try_from(l).ok()) == Some(bundle.size);
        if !same {
            return Err(Failure::Usage(format!(
                "{} is there with another content; bluegreen never replaces a bundle (hint: another --prefix, or look at who wrote it)",
                location(place)
            )));
        }
        Ok(Some(stored(head.e_tag(), head.version_id(), false)))
    }

    /// Uploads the bundle where nothing is; `progress` hears of each part
    /// sent; `cancel` ends a multipart upload early (it is aborted, as on
    /// any failure).
    pub async fn upload(
        &self,
        place: &Place,
        bundle: &Upload<'_>,
        description: &str,
        progress: &(dyn Fn(u64) + Sync),
        cancel: impl Future<Output = Failure>,
    ) -> Result<Stored, Failure> {
        if bundle.size < PART {
            let body = read(bundle.file, 0, bundle.size)?;
            let put = self
                .clients
                .s3
                .put_object()
                .bucket(&place.bucket)
                .key(&place.key)
                .body(ByteStream::from(body))
                .content_type("application/zip")
                .metadata("sha256", bundle.sha256)
                .metadata("description", ascii(description))
                .if_none_match("*")
                .customize()
                .config_override(uploading())
                .send();
            let out = tokio::select! {
                out = put => out,
                failure = cancel => return Err(failure),
            };
            let out = out.map_err(|e| self.refused_write(place, &api_error("PutObject", &e)))?;
            progress(bundle.size);
            return Ok(stored(out.e_tag(), out.version_id(), true));
        }
        let created = self
            .clients
            .s3
            .create_multipart_upload()
            .bucket(&place.bucket)
            .key(&place.key)
            .content_type("application/zip")
            .metadata("sha256", bundle.sha256)
            .metadata("description", ascii(description))
            .send()
            .await
            .map_err(|e| {
                failed(&format!("cannot start uploading {}", location(place)), &api_error("CreateMultipartUpload", &e))
            })?;
        let Some(id) = created.upload_id().map(ToString::to_string) else {
            return Err(Failure::Failed(format!(
                "cannot start uploading {}: S3 gave no upload id (hint: try again)",
                location(place)
            )));
        };
        let parts = tokio::select! {
            parts = self.parts(place, &id, bundle, progress) => parts,
            failure = cancel => Err(failure),
        };
        let completed = match parts {
            Ok(parts) => self
                .clients
                .s3
                .complete_multipart_upload()
                .bucket(&place.bucket)
                .key(&place.key)
                .upload_id(&id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .if_none_match("*")
                .customize()
                .config_override(uploading())
                .send()
                .await
                .map_err(|e| self.refused_write(place, &api_error("CompleteMultipartUpload", &e))),
            Err(failure) => Err(failure),
        };
        match completed {
            Ok(out) => Ok(stored(out.e_tag(), out.version_id(), true)),
            Err(failure) => {
                let aborted = self
                    .clients
                    .s3
                    .abort_multipart_upload()
                    .bucket(&place.bucket)
                    .key(&place.key)
                    .upload_id(&id)
                    .send()
                    .await;
                if let Err(e) = aborted {
                    tracing::warn!(upload_id = %id, error = %api_error("AbortMultipartUpload", &e), "an upload's parts were left");
                }
                Err(failure)
            }
        }
    }

    /// Sends every part, [`PARALLEL`] at a time, and gives them in order.
    async fn parts(
        &self,
        place: &Place,
        id: &str,
        bundle: &Upload<'_>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<CompletedPart>, Failure> {
        let count = bundle.size.div_ceil(PART);
        futures::stream::iter(0..count)
            .map(|n| async move {
                let offset = n * PART;
                let len = PART.min(bundle.size - offset);
                let body = read(bundle.file, offset, len)?;
                let number = i32::try_from(n + 1).unwrap_or(i32::MAX);
                let out = self
                    .clients
                    .s3
                    .upload_part()
                    .bucket(&place.bucket)
                    .key(&place.key)
                    .upload_id(id)
                    .part_number(number)
                    .body(ByteStream::from(body))
                    .customize()
                    .config_override(uploading())
                    .send()
                    .await
                    .map_err(|e| {
                        failed(
                            &format!("cannot upload part {number} of {}", location(place)),
                            &api_error("UploadPart", &e),
                        )
                    })?;
                progress(len);
                Ok(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(ToString::to_string)).build())
            })
            .buffered(PARALLEL)
            .try_collect()
            .await
    }

    /// A write refused because something is there now (written since the
    /// existence check), or another failure.
    fn refused_write(&self, place: &Place, e: &ApiError) -> Failure {
        if e.code == "PreconditionFailed" || e.code == "ConditionalRequestConflict" {
            return Failure::Failed(format!(
                "{} was written by someone else during this push; nothing was replaced (hint: push again to check it)",
                location(place)
            ));
        }
        failed(&format!("cannot upload {} to {}", place.key, self.region), e)
    }

    /// Registers the object as a revision of `application`.
    pub async fn register(
        &self,
        application: &str,
        place: &Place,
        stored: &Stored,
        description: &str,
    ) -> Result<(), Failure> {
        self.clients
            .codedeploy
            .register_application_revision()
            .application_name(application)
            .revision(revision(place, stored))
            .description(description)
            .send()
            .await
            .map_err(|e| {
                let e = api_error("RegisterApplicationRevision", &e);
                Failure::Failed(format!(
                    "the bundle is in {} but was not registered: {e} (hint: run it again: the bundle is not uploaded twice)",
                    location(place)
                ))
            })?;
        Ok(())
    }
}

/// The revision a stored bundle is: S3, a zip, its ETag and version.
fn revision(place: &Place, stored: &Stored) -> RevisionLocation {
    let s3 = S3Location::builder()
        .bucket(&place.bucket)
        .key(&place.key)
        .bundle_type(BundleType::Zip)
        .e_tag(&stored.etag)
        .set_version(stored.version.clone())
        .build();
    RevisionLocation::builder().revision_type(RevisionLocationType::S3).s3_location(s3).build()
}

/// Longer timeouts for the calls that carry a bundle (or put one together).
fn uploading() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default().timeout_config(clients::upload_timeouts())
}

/// `s3://bucket/key`, for a message.
pub fn location(place: &Place) -> String {
    clean(&format!("s3://{}/{}", place.bucket, place.key), 600)
}

/// The object as S3 answered it: the ETag without quotes, and the version
/// unless the bucket keeps none (S3 says `null` there).
fn stored(etag: Option<&str>, version: Option<&str>, uploaded: bool) -> Stored {
    Stored {
        etag: clean(etag.unwrap_or_default().trim_matches('"'), 200),
        version: version.filter(|v| *v != "null").map(|v| clean(v, 200)),
        uploaded,
    }
}

/// Object metadata travels in headers: printable ASCII only.
fn ascii(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).take(512).collect()
}

/// `len` bytes of the bundle from `offset`.
fn read(file: &File, offset: u64, len: u64) -> Result<Vec<u8>, Failure> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| Failure::Failed(format!("cannot read the bundle back: {e} (hint: TMPDIR, or free some space)")))?;
    Ok(buf)
}
