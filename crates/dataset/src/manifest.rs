//! The dataset manifest a clinical group fills in: one CSV row per joint.
//!
//! ```csv
//! image,patient_id,hand,view,joint,label,x,y
//! images/p001_R.jpg,p001,R,dorsal,MCP2,1,152.5,201.0
//! images/p001_R.jpg,p001,R,dorsal,PIP3,0,,
//! images/p001_R.jpg,p001,R,dorsal,WRIST,unknown,,
//! ```
//!
//! `image` is relative to the manifest's folder (or absolute); `hand` is L or R; `view` is dorsal or
//! palmar; `joint` is MCP1–MCP5, PIP2–PIP5, IP (thumb) or WRIST; `label` is 0 (not inflamed),
//! 1 (inflamed) or empty/`unknown`; `x`,`y` are the joint centre in image pixels, both or neither.
use jointscope_data::{DataError, Hand, Joint, Point, View, image_io};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Columns every manifest must have.
pub const REQUIRED_COLUMNS: [&str; 6] = ["image", "patient_id", "hand", "view", "joint", "label"];
/// Most rows a manifest may have.
pub const MAX_ROWS: usize = 2_000_000;
/// Largest manifest file (2 million rows of about 100 bytes fit with room to spare).
pub const MAX_BYTES: u64 = 1 << 30;

/// A joint's ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Label {
    Healthy,
    Inflamed,
    Unknown,
}

impl Label {
    pub fn code(self) -> &'static str {
        match self {
            Label::Healthy => "0",
            Label::Inflamed => "1",
            Label::Unknown => "unknown",
        }
    }
    fn parse(s: &str) -> Option<Label> {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" => Some(Label::Healthy),
            "1" => Some(Label::Inflamed),
            "" | "unknown" | "na" | "?" => Some(Label::Unknown),
            _ => None,
        }
    }
    /// 1.0 / 0.0 for known labels.
    pub fn target(self) -> Option<f32> {
        match self {
            Label::Healthy => Some(0.0),
            Label::Inflamed => Some(1.0),
            Label::Unknown => None,
        }
    }
}

/// One valid manifest row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// 1-based line number in the CSV file (the header is line 1).
    pub line: usize,
    /// The image path as written in the manifest.
    pub image: String,
    pub patient_id: String,
    pub hand: Hand,
    pub view: View,
    pub joint: Joint,
    pub label: Label,
    pub point: Option<Point>,
}

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What [`validate`] found: the valid rows and every problem, in line order.
#[derive(Debug, Clone)]
pub struct Report {
    pub path: PathBuf,
    pub rows: Vec<ManifestRow>,
    pub problems: Vec<Problem>,
    pub images: usize,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && !self.rows.is_empty()
    }
}

/// A valid manifest: rows whose images all decode, grouped by image on demand.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub rows: Vec<ManifestRow>,
}

/// All rows of one image.
#[derive(Debug, Clone)]
pub struct ImageEntry {
    pub image: String,
    pub path: PathBuf,
    pub patient_id: String,
    pub hand: Hand,
    pub view: View,
    pub joints: Vec<(Joint, Label, Option<Point>)>,
}

impl ImageEntry {
    /// The joints whose position is known.
    pub fn located(&self) -> Vec<(Joint, Point)> {
        self.joints.iter().filter_map(|(j, _, p)| p.map(|p| (*j, p))).collect()
    }
}

impl Manifest {
    /// Read and validate a manifest; any problem is an error that counts them and names the first.
    pub fn read(path: &Path) -> Result<Manifest, DataError> {
        let report = validate(path)?;
        if let Some(first) = report.problems.first() {
            return Err(DataError::Invalid { path: path.into(), count: report.problems.len(), first: first.to_string() });
        }
        if report.rows.is_empty() {
            return Err(DataError::Empty(format!("{} has no rows", path.display())));
        }
        Ok(Manifest { path: path.into(), rows: report.rows })
    }

    /// The folder image paths are relative to.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Rows grouped by image, in order of first appearance.
    pub fn images(&self) -> Vec<ImageEntry> {
        let mut order: Vec<String> = Vec::new();
        let mut by: HashMap<String, ImageEntry> = HashMap::new();
        for r in &self.rows {
            let e = by.entry(r.image.clone()).or_insert_with(|| {
                order.push(r.image.clone());
                ImageEntry {
                    image: r.image.clone(),
                    path: resolve(self.root(), &r.image),
                    patient_id: r.patient_id.clone(),
                    hand: r.hand,
                    view: r.view,
                    joints: Vec::new(),
                }
            });
            e.joints.push((r.joint, r.label, r.point));
        }
        order.into_iter().map(|k| by.remove(&k).expect("grouped image")).collect()
    }
}

/// An image path from the manifest, resolved against its folder.
pub fn resolve(root: &Path, image: &str) -> PathBuf {
    let p = Path::new(image);
    if p.is_absolute() { p.to_path_buf() } else { root.join(p) }
}

/// Check every row of a manifest and every image it names; never stops at the first problem.
/// Errors only when the file itself cannot be read or lacks required columns.
pub fn validate(path: &Path) -> Result<Report, DataError> {
    let (mut rdr, columns) = open(path)?;
    let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut seen = Seen::default();
    let mut last = 1; // the header's line
    for (n, rec) in rdr.records().enumerate() {
        // The reader counts `\n` only; a record starts on a line after the last one's, which also
        // numbers the rows of a file whose lines end in a lone `\r`.
        let line = rec.as_ref().ok().and_then(|r| r.position()).map_or(n + 2, |p| p.line() as usize).max(last + 1);
        last = line;
        if n >= MAX_ROWS {
            problems.push(Problem { line, message: format!("more than {MAX_ROWS} rows; the rest were not read") });
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem { line, message: format!("unreadable CSV record: {e}") });
                continue;
            }
        };
        let mut bad = Vec::new();
        let f = parse_fields(&rec, &columns, &mut bad);
        if !f.image.is_empty() {
            seen.check(&root, &f, line, &mut bad);
        }
        match (bad.is_empty(), f.hand, f.view, f.joint, f.label) {
            (true, Some(hand), Some(view), Some(joint), Some(label)) => {
                rows.push(ManifestRow { line, image: f.image, patient_id: f.patient_id, hand, view, joint, label, point: f.point })
            }
            _ => problems.extend(bad.into_iter().map(|message| Problem { line, message })),
        }
    }
    let images = seen.images.len();
    Ok(Report { path: path.into(), rows, problems, images })
}

/// Where the manifest's columns are: the required ones in [`REQUIRED_COLUMNS`]' order, and the
/// optional joint position.
struct Columns {
    required: Vec<usize>,
    x: Option<usize>,
    y: Option<usize>,
}

/// Open a manifest within [`MAX_BYTES`] and find its columns (every required one, or an error).
fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, Columns), DataError> {
    let err = |reason: String| DataError::Manifest { path: path.into(), reason };
    let file = std::fs::File::open(path).map_err(|source| DataError::Io { path: path.into(), source })?;
    let len = file.metadata().map_err(|source| DataError::Io { path: path.into(), source })?.len();
    if len > MAX_BYTES {
        return Err(err(format!("{len} bytes, the limit is {MAX_BYTES}")));
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(file);
    let headers = rdr.headers().map_err(|e| err(format!("cannot read the header: {e}")))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = REQUIRED_COLUMNS.iter().copied().filter(|c| col(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(err(format!("missing column(s) {} (the header must name {})", missing.join(", "), REQUIRED_COLUMNS.join(","))));
    }
    let required = REQUIRED_COLUMNS.iter().map(|c| col(c).expect("checked")).collect();
    Ok((rdr, Columns { required, x: col("x"), y: col("y") }))
}

/// One row's fields as read; a field that is bad is `None` and its reason is in `bad`.
struct Fields {
    image: String,
    patient_id: String,
    hand: Option<Hand>,
    view: Option<View>,
    joint: Option<Joint>,
    label: Option<Label>,
    point: Option<Point>,
}

/// Read one record's fields, pushing what is wrong with each onto `bad`.
fn parse_fields(rec: &csv::StringRecord, c: &Columns, bad: &mut Vec<String>) -> Fields {
    let get = |i: usize| rec.get(i).unwrap_or("").to_string();
    let idx = &c.required;
    let image = get(idx[0]);
    let patient_id = get(idx[1]);
    if image.is_empty() {
        bad.push("empty image path".to_string());
    }
    if patient_id.is_empty() {
        bad.push("empty patient_id".to_string());
    }
    let hand = Hand::parse(&get(idx[2]));
    if hand.is_none() {
        bad.push(format!("hand {:?} is not L or R", get(idx[2])));
    }
    let view = View::parse(&get(idx[3]));
    if view.is_none() {
        bad.push(format!("view {:?} is not dorsal or palmar", get(idx[3])));
    }
    let joint = match get(idx[4]).parse::<Joint>() {
        Ok(j) => Some(j),
        Err(e) => {
            bad.push(e.to_string());
            None
        }
    };
    let label = Label::parse(&get(idx[5]));
    if label.is_none() {
        bad.push(format!("label {:?} is out of range (0, 1 or unknown)", get(idx[5])));
    }
    let point = parse_point(&c.x.map(get).unwrap_or_default(), &c.y.map(get).unwrap_or_default(), bad);
    Fields { image, patient_id, hand, view, joint, label, point }
}

/// A joint position from its `x` and `y` cells: both empty is none, both numbers a point.
fn parse_point(xs: &str, ys: &str, bad: &mut Vec<String>) -> Option<Point> {
    match (xs.is_empty(), ys.is_empty()) {
        (true, true) => None,
        (false, false) => match (xs.parse::<f32>(), ys.parse::<f32>()) {
            (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => Some(Point::new(x, y)),
            _ => {
                bad.push(format!("x,y ({xs:?}, {ys:?}) are not numbers"));
                None
            }
        },
        _ => {
            bad.push("give both x and y, or neither".to_string());
            None
        }
    }
}

/// What the rows read so far say of each image: the line of each (image, joint), the patient,
/// hand and view of its first row, and whether the file decodes (and its size).
#[derive(Default)]
struct Seen {
    joints: HashMap<(String, Joint), usize>,
    meta: HashMap<String, (usize, String, Hand, View)>,
    images: BTreeMap<String, Result<(u32, u32), String>>,
}

impl Seen {
    /// Check a row naming an image against the rows before it and against the image itself.
    fn check(&mut self, root: &Path, f: &Fields, line: usize, bad: &mut Vec<String>) {
        let image = &f.image;
        if let Some(j) = f.joint {
            if let Some(first) = self.joints.get(&(image.clone(), j)) {
                bad.push(format!("duplicate of line {first} (same image and joint {j})"));
            } else {
                self.joints.insert((image.clone(), j), line);
            }
        }
        let check = self.images.entry(image.clone()).or_insert_with(|| {
            let p = resolve(root, image);
            if !p.exists() {
                Err(format!("image file {} does not exist", p.display()))
            } else {
                image_io::load_rgb(&p).map(|i| i.dimensions()).map_err(|e| e.to_string())
            }
        });
        match check {
            Err(e) => bad.push(e.clone()),
            Ok((w, h)) => {
                if let Some(p) = f.point
                    && (p.x < 0.0 || p.y < 0.0 || p.x >= *w as f32 || p.y >= *h as f32)
                {
                    bad.push(format!("joint position ({}, {}) is outside the {w}×{h} image", p.x, p.y));
                }
            }
        }
        if let (Some(hd), Some(v), false) = (f.hand, f.view, f.patient_id.is_empty()) {
            match self.meta.get(image) {
                Some((first, pid, h0, v0)) if (pid, *h0, *v0) != (&f.patient_id, hd, v) => {
                    bad.push(format!("image also appears on line {first} with patient {pid}, hand {}, view {}", h0.code(), v0.code()))
                }
                Some(_) => {}
                None => {
                    self.meta.insert(image.clone(), (line, f.patient_id.clone(), hd, v));
                }
            }
        }
    }
}

/// Write rows as a manifest CSV, atomically.
pub fn write(path: &Path, rows: &[ManifestRow]) -> Result<(), DataError> {
    let werr = |e: &dyn std::fmt::Display| DataError::Write { path: path.into(), reason: e.to_string() };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["image", "patient_id", "hand", "view", "joint", "label", "x", "y"]).map_err(|e| werr(&e))?;
    for r in rows {
        let (x, y) = r.point.map(|p| (format!("{:.2}", p.x), format!("{:.2}", p.y))).unwrap_or_default();
        w.write_record([r.image.as_str(), &r.patient_id, r.hand.code(), r.view.code(), r.joint.name(), r.label.code(), &x, &y]).map_err(|e| werr(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| werr(&e))?;
    crate::fsio::write_atomic(path, &bytes)
}
