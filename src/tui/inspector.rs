//! The details' inspection and media viewer as data: the inspection kept in the history
//! (shown at once, offline) until a fresh one comes, the media file on screen, and the name
//! being typed to save it. `update` changes it, the view draws it. A media file's bytes live
//! here only while the viewer shows it: closing the viewer drops them.

use std::sync::Arc;

use crate::history::Record;
use crate::veriff::MediaFile;
use crate::veriff::inspect::{Inspection, MediaItem, Part};

/// The inspection of the record whose details are open.
#[derive(Debug, Clone)]
pub struct Inspector {
    /// The history id of the record it belongs to: details of another record drop it.
    pub record_id: i64,
    /// Numbers this opening of the details: answers carrying another number are for details
    /// no longer on screen, and are dropped.
    pub seq: u64,
    /// Read from the history when the details opened; `None` until read, or never made.
    pub kept: Option<Inspection>,
    /// The kept one was looked for (found or not), or could not be read (why).
    pub kept_read: bool,
    pub kept_error: Option<String>,
    /// The one fetched since the details opened.
    pub fresh: Option<Inspection>,
    /// A fresh one is on its way.
    pub fetching: bool,
    /// Why there is no fresh one: offline, a profile gone, another sandbox, the network.
    pub fetch_error: Option<String>,
    /// Why the fresh one could not be kept in the history.
    pub not_kept: Option<String>,
    /// The media file on screen.
    pub viewer: Option<Viewer>,
    /// The media item shown last, to open on it again.
    pub media_index: usize,
}

impl Inspector {
    pub fn new(record_id: i64, seq: u64) -> Self {
        Self {
            record_id,
            seq,
            kept: None,
            kept_read: false,
            kept_error: None,
            fresh: None,
            fetching: false,
            fetch_error: None,
            not_kept: None,
            viewer: None,
            media_index: 0,
        }
    }

    /// The inspection shown: the fresh one, else the one kept from before.
    pub fn shown(&self) -> Option<&Inspection> {
        self.fresh.as_ref().or(self.kept.as_ref())
    }

    /// The media items of the inspection shown (none when that part failed).
    pub fn media(&self) -> &[MediaItem] {
        match self.shown().map(|i| &i.media) {
            Some(Part::Ok(list)) => list,
            _ => &[],
        }
    }
}

/// One media file on screen, fetched when it was chosen.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Its place in the media list.
    pub index: usize,
    pub item: MediaItem,
    /// Numbers the fetch: the answer for a file no longer shown is dropped.
    pub seq: u64,
    /// `None` while it is fetched.
    pub file: Option<Result<Arc<Loaded>, String>>,
    /// The file name being typed to save it.
    pub save: Option<SavePrompt>,
    /// The picture encoded for the terminal's own graphics (`tui::graphics`), for the area
    /// it names; half-blocks are drawn without it.
    pub encoded: Option<Arc<crate::tui::graphics::Encoded>>,
}

/// `s`: where to save the media file shown.
#[derive(Debug, Clone, Default)]
pub struct SavePrompt {
    pub input: tui_input::Input,
    /// Why the last name did not do (a file of that name exists…).
    pub error: Option<String>,
    /// Being written.
    pub saving: bool,
}

/// A media file in memory and, when it is a picture, its pixels for drawing.
pub struct Loaded {
    pub file: MediaFile,
    pub picture: Result<Picture, String>,
}

impl std::fmt::Debug for Loaded {
    // A document photo is personal data: neither its bytes nor its pixels in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("file", &self.file)
            .field(
                "picture",
                &self.picture.as_ref().map(|p| (p.width, p.height)),
            )
            .finish()
    }
}

/// The largest side a picture is kept at: more than any terminal shows in half-blocks
/// (two pixels a cell), small enough to sample every frame.
const MAX_SIDE: u32 = 640;

/// Pictures bigger than this are not decoded: no document photo is, and a crafted file
/// must not take the machine's memory.
const MAX_DECODE_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// A picture's pixels, RGB, scaled down to at most [`MAX_SIDE`].
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Picture {
    /// Decodes a PNG or JPEG (what Veriff serves); anything else says what it is not.
    pub fn decode(bytes: &[u8]) -> Result<Picture, String> {
        let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("not readable: {e}"))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_DECODE_SIDE);
        limits.max_image_height = Some(MAX_DECODE_SIDE);
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        reader.limits(limits);
        if reader.format().is_none() {
            return Err("not a picture this app can draw (PNG or JPEG)".into());
        }
        let image = reader
            .decode()
            .map_err(|e| format!("not a picture this app can draw: {e}"))?;
        let image = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
            image.thumbnail(MAX_SIDE, MAX_SIDE)
        } else {
            image
        };
        if image.width() == 0 || image.height() == 0 {
            return Err("an empty picture".into());
        }
        let rgb = image.to_rgb8();
        Ok(Picture {
            width: rgb.width(),
            height: rgb.height(),
            rgb: rgb.into_raw(),
        })
    }

    /// The picture for an image encoder (`tui::graphics`).
    pub fn to_image(&self) -> Option<image::DynamicImage> {
        image::RgbImage::from_raw(self.width, self.height, self.rgb.clone())
            .map(image::DynamicImage::ImageRgb8)
    }

    /// A picture from raw RGB rows (tests).
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Option<Picture> {
        (u64::from(width) * u64::from(height) * 3 == rgb.len() as u64 && width > 0 && height > 0)
            .then_some(Picture { width, height, rgb })
    }

    /// The average colour of the pixels in columns `x0..x1` and rows `y0..y1` (at least the
    /// pixel at `x0`, `y0`; clamped to the picture).
    pub fn average(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> [u8; 3] {
        let x0 = x0.min(self.width - 1);
        let y0 = y0.min(self.height - 1);
        let x1 = x1.clamp(x0 + 1, self.width);
        let y1 = y1.clamp(y0 + 1, self.height);
        let mut sum = [0u64; 3];
        for y in y0..y1 {
            let row = (y as usize) * (self.width as usize) * 3;
            for x in x0..x1 {
                let i = row + (x as usize) * 3;
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += u64::from(self.rgb.get(i + c).copied().unwrap_or(0));
                }
            }
        }
        let n = u64::from((x1 - x0) * (y1 - y0)).max(1);
        sum.map(|s| u8::try_from(s / n).unwrap_or(u8::MAX))
    }
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Picture({}x{})", self.width, self.height)
    }
}

/// What a fresh inspection brought back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `None`: nothing could be asked (no client, no profile).
    pub inspection: Option<Inspection>,
    /// Why nothing could be asked.
    pub error: Option<String>,
    /// Why it was not kept in the history.
    pub not_kept: Option<String>,
    /// The record as stored after it (its decision is refreshed too).
    pub record: Option<Record>,
}

/// Why a media file was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailure {
    /// A file of that name exists: it is never written over.
    pub exists: bool,
    pub message: String,
}

/// The name a media file is offered to be saved under, in the current directory:
/// `<first 8 of the session id>-<media name>.<type>`, of plain characters only.
pub fn default_file_name(session_id: &str, item: &MediaItem, content_type: Option<&str>) -> String {
    let plain = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let session: String = plain(session_id).chars().take(8).collect();
    let name = item
        .name
        .as_deref()
        .or(item.context.as_deref())
        .map(plain)
        .filter(|n| !n.trim_matches('-').is_empty())
        .unwrap_or_else(|| plain(&item.id));
    let name: String = name.chars().take(64).collect();
    let mime = item
        .mimetype
        .as_deref()
        .or(content_type)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let ext = match mime.split(';').next().unwrap_or_default().trim() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "application/pdf" => "pdf",
        _ if item.kind == "video" => "mp4",
        _ => "png",
    };
    format!("{session}-{name}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: Option<&str>, mime: Option<&str>) -> MediaItem {
        MediaItem {
            id: "m-1".into(),
            kind: "image".into(),
            name: name.map(Into::into),
            context: None,
            mimetype: mime.map(Into::into),
            size: None,
            timestamp: None,
        }
    }

    #[test]
    fn default_names_are_plain_and_typed() {
        let id = "47fd7ddf-e138-4e5e-9661-1af9ab3327b5";
        assert_eq!(
            default_file_name(id, &item(Some("document-front"), Some("image/png")), None),
            "47fd7ddf-document-front.png"
        );
        assert_eq!(
            default_file_name(
                id,
                &item(Some("../../etc/passwd"), Some("image/jpeg")),
                None
            ),
            "47fd7ddf-------etc-passwd.jpg"
        );
        assert_eq!(
            default_file_name(id, &item(None, None), None),
            "47fd7ddf-m-1.png"
        );
    }

    #[test]
    fn pictures_decode_scaled_and_other_bytes_say_so() {
        let png = include_bytes!("../../assets/sandbox-document.png");
        let p = Picture::decode(png).unwrap();
        assert_eq!((p.width, p.height), (480, 300));
        assert!(Picture::decode(b"GIF89a not really").is_err());
        assert!(Picture::decode(b"\x00\x01").is_err());
        let tiny = Picture::from_rgb(2, 1, vec![0, 0, 0, 255, 255, 255]).unwrap();
        assert_eq!(tiny.average(0, 0, 2, 1), [127, 127, 127]);
        assert_eq!(tiny.average(5, 5, 9, 9), [255, 255, 255]);
    }
}
