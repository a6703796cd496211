//! Reading the members of a snapshot archive as streams: a member is decompressed while
//! it is decoded and never held in memory whole or written to disk.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// How a snapshot is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    /// ZIP: random access, so members can be decoded in parallel.
    Zip,
    /// gzip-compressed tar: one sequential stream.
    TarGz,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("corrupt or truncated archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The gzip stream or the tar inside it cannot be read to its end.
    #[error("corrupt or truncated archive: {0}")]
    Stream(#[source] io::Error),
    /// Said apart from corruption: the archive is whole, and the fix is at the exporter.
    #[error("member {member} is encrypted (password-protected) and cannot be read: export the snapshot without a password")]
    Encrypted { member: String },
    #[error("member {member} is larger than the limit of {limit} bytes uncompressed")]
    TooLarge { member: String, limit: u64 },
    #[error("cannot read the archive: {0}")]
    Io(#[from] io::Error),
}

/// A snapshot archive on local disk.
#[derive(Clone, Debug)]
pub struct Archive {
    path: PathBuf,
    kind: ArchiveKind,
    member_limit: u64,
}

/// The error of opening one ZIP member, naming the member where the cause is the member's.
fn zip_member_error(member: &str, e: zip::result::ZipError) -> ArchiveError {
    use zip::result::ZipError;
    match e {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) | ZipError::InvalidPassword => {
            ArchiveError::Encrypted { member: member.to_string() }
        }
        other => ArchiveError::Zip(other),
    }
}

/// A member file of an archive.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    /// Uncompressed size as the archive declares it.
    pub size: u64,
    /// CRC-32 of the content, where the archive records one (ZIP does, tar does not).
    pub crc32: Option<u32>,
}

impl Archive {
    /// Opens an archive and checks that its directory can be read.
    pub fn open(path: &Path, kind: ArchiveKind, member_limit: u64) -> Result<Self, ArchiveError> {
        let archive = Archive { path: path.to_path_buf(), kind, member_limit };
        if kind == ArchiveKind::Zip {
            archive.zip()?;
        }
        Ok(archive)
    }

    pub fn kind(&self) -> ArchiveKind {
        self.kind
    }

    fn zip(&self) -> Result<zip::ZipArchive<BufReader<File>>, ArchiveError> {
        let file = BufReader::new(File::open(&self.path)?);
        Ok(zip::ZipArchive::new(file)?)
    }

    /// The tar inside the gzip stream. A gzip file may be several concatenated streams
    /// (gzip, bgzip and parallel compressors write them): every one is read.
    fn tar(&self) -> Result<tar::Archive<TarStream>, ArchiveError> {
        let file = BufReader::with_capacity(1 << 16, File::open(&self.path)?);
        Ok(tar::Archive::new(TarStream::new(flate2::read::MultiGzDecoder::new(file))))
    }

    /// The file members, in archive order. For a gzip tar this reads the whole stream,
    /// which also proves it is complete.
    pub fn members(&self) -> Result<Vec<Member>, ArchiveError> {
        match self.kind {
            ArchiveKind::Zip => {
                let mut zip = self.zip()?;
                let mut out = Vec::new();
                for i in 0..zip.len() {
                    let entry = zip.by_index_raw(i)?;
                    if entry.is_file() {
                        let name = entry.name()?.into_owned();
                        out.push(Member { name, size: entry.size(), crc32: Some(entry.crc32()) });
                    }
                }
                Ok(out)
            }
            ArchiveKind::TarGz => {
                let mut tar = self.tar()?;
                let mut out = Vec::new();
                for entry in tar.entries().map_err(corrupt)? {
                    let entry = entry.map_err(corrupt)?;
                    if entry.header().entry_type().is_file() {
                        let name = entry.path().map_err(corrupt)?.to_string_lossy().into_owned();
                        out.push(Member { name, size: entry.size(), crc32: None });
                    }
                }
                tar.into_inner().check_ended()?;
                Ok(out)
            }
        }
    }

    /// Streams one member to `read`. For a gzip tar the stream is scanned from the start.
    pub fn with_member<T>(
        &self,
        name: &str,
        read: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<Option<T>, ArchiveError> {
        match self.kind {
            ArchiveKind::Zip => {
                let mut zip = self.zip()?;
                let mut entry = match zip.by_name(name) {
                    Ok(entry) => entry,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => return Err(zip_member_error(name, e)),
                };
                self.check_size(name, entry.size())?;
                let mut limited = Limited::new(&mut entry, name, self.member_limit);
                Ok(Some(read(&mut limited)))
            }
            ArchiveKind::TarGz => {
                let mut found = None;
                let mut read = Some(read);
                self.for_each_member(|member, reader| {
                    if member == name
                        && let Some(read) = read.take()
                    {
                        found = Some(read(reader));
                    }
                })?;
                Ok(found)
            }
        }
    }

    /// Streams every file member, in archive order, to `visit`.
    pub fn for_each_member(&self, mut visit: impl FnMut(&str, &mut dyn Read)) -> Result<(), ArchiveError> {
        match self.kind {
            ArchiveKind::Zip => {
                let mut zip = self.zip()?;
                for i in 0..zip.len() {
                    let name = zip.by_index_raw(i)?.name()?.into_owned();
                    let mut entry = zip.by_index(i).map_err(|e| zip_member_error(&name, e))?;
                    if !entry.is_file() {
                        continue;
                    }
                    self.check_size(&name, entry.size())?;
                    visit(&name, &mut Limited::new(&mut entry, &name, self.member_limit));
                }
            }
            ArchiveKind::TarGz => {
                let mut tar = self.tar()?;
                for entry in tar.entries().map_err(corrupt)? {
                    let mut entry = entry.map_err(corrupt)?;
                    if !entry.header().entry_type().is_file() {
                        continue;
                    }
                    let name = entry.path().map_err(corrupt)?.to_string_lossy().into_owned();
                    self.check_size(&name, entry.size())?;
                    visit(&name, &mut Limited::new(&mut entry, &name, self.member_limit));
                }
                tar.into_inner().check_ended()?;
            }
        }
        Ok(())
    }

    fn check_size(&self, name: &str, size: u64) -> Result<(), ArchiveError> {
        if size > self.member_limit {
            return Err(ArchiveError::TooLarge { member: name.to_string(), limit: self.member_limit });
        }
        Ok(())
    }
}

/// The decompressed tar stream, which remembers its last block: a tar ends with a block of
/// zeros, and one that stops at a member boundary without it was cut short (the tar
/// reader itself takes the end of the stream there for the end of the archive).
struct TarStream {
    inner: flate2::read::MultiGzDecoder<BufReader<File>>,
    read: u64,
    /// The last `BLOCK` bytes read, as a ring indexed by stream offset.
    tail: Box<[u8; BLOCK]>,
}

const BLOCK: usize = 512;

impl TarStream {
    fn new(inner: flate2::read::MultiGzDecoder<BufReader<File>>) -> Self {
        TarStream { inner, read: 0, tail: Box::new([0; BLOCK]) }
    }

    /// Whether the archive ended with its end-of-archive block, as a complete tar does.
    fn check_ended(&self) -> Result<(), ArchiveError> {
        let aligned = self.read > 0 && self.read.is_multiple_of(BLOCK as u64);
        if aligned && self.tail.iter().all(|b| *b == 0) {
            return Ok(());
        }
        Err(ArchiveError::Stream(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the tar ends after {} bytes without its end-of-archive block", self.read),
        )))
    }
}

impl Read for TarStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate().skip(n.saturating_sub(BLOCK)) {
            self.tail[((self.read + i as u64) % BLOCK as u64) as usize] = *b;
        }
        self.read += n as u64;
        Ok(n)
    }
}

fn corrupt(e: io::Error) -> ArchiveError {
    ArchiveError::Stream(e)
}

/// Refuses to read past the member limit, whatever the archive header claimed.
struct Limited<'a> {
    inner: &'a mut dyn Read,
    name: &'a str,
    left: u64,
    limit: u64,
}

impl<'a> Limited<'a> {
    fn new(inner: &'a mut dyn Read, name: &'a str, limit: u64) -> Self {
        Limited { inner, name, left: limit, limit }
    }
}

impl Read for Limited<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other(format!(
                "member {} is larger than the limit of {} bytes uncompressed",
                self.name, self.limit
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
