//! Image loading with limits: file size and pixel count are checked before decoding, EXIF
//! orientation is applied, and every failure is a [`DataError`] naming the file.
use crate::error::DataError;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

/// Largest image file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest image accepted, in pixels (about 50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Smallest side accepted, in pixels: below this no joint can be judged.
pub const MIN_SIDE: u32 = 32;

/// The limits above as one record (what the browser checks before it hands pixels over).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct PhotoLimits {
    pub max_file_bytes: u64,
    pub max_pixels: u64,
    pub max_side: u32,
    pub min_side: u32,
}

/// Every limit on a photo.
pub const LIMITS: PhotoLimits = PhotoLimits { max_file_bytes: MAX_FILE_BYTES, max_pixels: MAX_PIXELS, max_side: MAX_SIDE, min_side: MIN_SIDE };

/// Read and decode an image file into 8-bit RGB.
pub fn load_rgb(path: &Path) -> Result<RgbImage, DataError> {
    let meta = std::fs::metadata(path).map_err(|source| DataError::Io { path: path.into(), source })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(DataError::TooLarge { path: path.into(), reason: format!("{} bytes, the limit is {MAX_FILE_BYTES}", meta.len()) });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path).and_then(|f| BufReader::new(f).read_to_end(&mut bytes)).map_err(|source| DataError::Io { path: path.into(), source })?;
    decode_rgb(&bytes).map_err(|e| e.at(path))
}

/// Why bytes did not decode, before a path is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Over a size limit.
    TooLarge(String),
    /// Not an image, truncated, or otherwise undecodable.
    Invalid(String),
}

impl DecodeError {
    /// Attach the file the bytes came from.
    pub fn at(self, path: &Path) -> DataError {
        match self {
            DecodeError::TooLarge(reason) => DataError::TooLarge { path: path.into(), reason },
            DecodeError::Invalid(reason) => DataError::Image { path: path.into(), reason },
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge(r) => write!(f, "image too large: {r}"),
            DecodeError::Invalid(r) => write!(f, "not a readable image: {r}"),
        }
    }
}

/// The formats a photo may come in, as the messages name them.
pub const FORMATS: &str = "JPEG, PNG or WebP";

/// Decode image bytes (JPEG, PNG or WebP, any bit depth or channel count) into 8-bit RGB, checking
/// the header's dimensions against the limits before any pixel is decoded. Any other format is
/// refused by name (the same in every build, whichever formats the `image` crate was built with),
/// HEIC and AVIF — what phones save by default — with what to do instead.
pub fn decode_rgb(bytes: &[u8]) -> Result<RgbImage, DecodeError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(DecodeError::TooLarge(format!("{} bytes, the limit is {MAX_FILE_BYTES}", bytes.len())));
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| DecodeError::Invalid(e.to_string()))?;
    use image::ImageFormat::{Jpeg, Png, WebP};
    match reader.format() {
        // The JPEG decoder fills a cut-off file with grey and reports success: refuse one whose
        // image data (after its last start-of-scan marker) never reaches the end-of-image marker.
        Some(Jpeg) if !jpeg_ends(bytes) => {
            return Err(DecodeError::Invalid("truncated JPEG: its image data ends before the end-of-image marker".into()));
        }
        Some(Jpeg | Png | WebP) => {}
        other => return Err(DecodeError::Invalid(unsupported(bytes, other))),
    }
    let mut decoder = reader.into_decoder().map_err(|e| DecodeError::Invalid(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    check_dimensions(w, h)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8 + (1 << 20));
    decoder.set_limits(limits).map_err(|e| DecodeError::TooLarge(e.to_string()))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| DecodeError::Invalid(e.to_string()))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    // Moved, not copied, when the photo decodes to RGB already (JPEG): a copy doubled the peak memory.
    Ok(img.into_rgb8())
}

/// Why a file in another format is refused: HEIC/HEIF and AVIF (an ISO media file whose `ftyp`
/// brand says so) with the phone setting that avoids them, any other format by name.
fn unsupported(bytes: &[u8], format: Option<image::ImageFormat>) -> String {
    let brand = (bytes.len() >= 12 && &bytes[4..8] == b"ftyp").then(|| &bytes[8..12]);
    let advice = "set the camera to save JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible), or share the photo as JPEG";
    match brand {
        Some(b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1") => {
            format!("a HEIC photo, which cannot be read here (expected {FORMATS}): {advice}")
        }
        Some(b"avif" | b"avis") => format!("an AVIF photo, which cannot be read here (expected {FORMATS}): {advice}"),
        _ => match format {
            Some(f) => format!("{f:?} files cannot be read here (expected {FORMATS})"),
            None => format!("unrecognised file format (expected {FORMATS})"),
        },
    }
}

/// Whether a JPEG's last scan (after its last SOS marker, FF DA) is followed by an EOI marker (FF D9).
fn jpeg_ends(bytes: &[u8]) -> bool {
    let marker = |m: u8| move |w: &[u8]| w[0] == 0xFF && w[1] == m;
    match bytes.windows(2).rposition(marker(0xDA)) {
        Some(sos) => bytes[sos..].windows(2).any(marker(0xD9)),
        None => false,
    }
}

/// What to do with a photo over the size limits (the page and the CLI both say it).
pub const TOO_LARGE_ADVICE: &str = "take the photo at a lower resolution (12 megapixels is plenty for a hand) or crop it around the hand";

/// Check an image's dimensions against the limits.
pub fn check_dimensions(w: u32, h: u32) -> Result<(), DecodeError> {
    if w > MAX_SIDE || h > MAX_SIDE || (w as u64) * (h as u64) > MAX_PIXELS {
        return Err(DecodeError::TooLarge(format!("{w}×{h} pixels, the limits are {MAX_SIDE} per side and {MAX_PIXELS} in all: {TOO_LARGE_ADVICE}")));
    }
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(DecodeError::Invalid(format!("{w}×{h} pixels is too small (at least {MIN_SIDE} per side)")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, codecs::png::PngEncoder};

    fn png(w: u32, h: u32, color: image::ExtendedColorType, bytes_per_px: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let data = vec![128u8; w as usize * h as usize * bytes_per_px];
        PngEncoder::new(&mut out).write_image(&data, w, h, color).unwrap();
        out
    }

    #[test]
    fn decodes_gray_rgba_and_16_bit_to_rgb() {
        for (c, n) in [(image::ExtendedColorType::L8, 1), (image::ExtendedColorType::Rgba8, 4), (image::ExtendedColorType::Rgb16, 6)] {
            let img = decode_rgb(&png(40, 36, c, n)).unwrap();
            assert_eq!(img.dimensions(), (40, 36));
        }
    }

    #[test]
    fn rejects_empty_truncated_tiny_and_non_images() {
        assert!(matches!(decode_rgb(&[]), Err(DecodeError::Invalid(_))));
        assert!(matches!(decode_rgb(b"hello, not an image"), Err(DecodeError::Invalid(_))));
        let full = png(64, 64, image::ExtendedColorType::Rgb8, 3);
        assert!(matches!(decode_rgb(&full[..full.len() / 2]), Err(DecodeError::Invalid(_))));
        assert!(matches!(decode_rgb(&png(8, 8, image::ExtendedColorType::Rgb8, 3)), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn refuses_a_truncated_jpeg_the_decoder_would_fill_with_grey() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        assert!(decode_rgb(&jpeg).is_ok());
        let cut = &jpeg[..jpeg.len() * 2 / 3];
        match decode_rgb(cut) {
            Err(DecodeError::Invalid(m)) => assert!(m.starts_with("truncated JPEG"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Bytes after the end-of-image marker (some cameras append data) are fine.
        let mut padded = jpeg.clone();
        padded.extend_from_slice(b"trailing camera data");
        assert!(decode_rgb(&padded).is_ok());
    }

    #[test]
    fn decodes_a_webp_photo() {
        let img = image::RgbImage::from_fn(48, 40, |x, y| image::Rgb([(x * 5) as u8, (y * 6) as u8, 77]));
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp).write_image(img.as_raw(), 48, 40, image::ExtendedColorType::Rgb8).unwrap();
        // Lossless, so the pixels come back exactly.
        assert_eq!(decode_rgb(&webp).unwrap(), img);
    }

    #[test]
    fn refuses_a_heic_photo_with_the_setting_that_avoids_it() {
        // The start of an iPhone photo: an ISO media `ftyp` box with the HEIC brand.
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        heic.resize(4096, 0);
        match decode_rgb(&heic) {
            Err(DecodeError::Invalid(m)) => {
                assert!(m.starts_with("a HEIC photo, which cannot be read here (expected JPEG, PNG or WebP): set the camera to save JPEG"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_a_gif_by_name_whatever_formats_the_build_has() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[64, 0, 64, 0, 0, 0, 0, 0x3B]);
        assert_eq!(decode_rgb(&gif), Err(DecodeError::Invalid("Gif files cannot be read here (expected JPEG, PNG or WebP)".into())));
    }

    #[test]
    fn rejects_a_huge_header_before_decoding() {
        // A valid PNG signature and IHDR claiming 20000×20000, with no pixel data behind it.
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32(&ihdr);
        b.extend_from_slice(&ihdr);
        b.extend_from_slice(&crc.to_be_bytes());
        for (kind, data) in [(&b"IDAT"[..], &[0x78u8, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..]), (&b"IEND"[..], &[][..])] {
            b.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(data);
            b.extend_from_slice(&chunk);
            b.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        assert!(matches!(decode_rgb(&b), Err(DecodeError::TooLarge(_))));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
