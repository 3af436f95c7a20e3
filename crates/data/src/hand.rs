//! Which hand a photo shows and which side of it faces the camera.
use serde::{Deserialize, Serialize};

/// The person's left or right hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum Hand {
    Left,
    Right,
}

impl Hand {
    /// The manifest's code: `L` or `R`.
    pub fn code(self) -> &'static str {
        match self {
            Hand::Left => "L",
            Hand::Right => "R",
        }
    }

    /// `L`/`R`/`left`/`right`, any case.
    pub fn parse(s: &str) -> Option<Hand> {
        match s.trim().to_ascii_lowercase().as_str() {
            "l" | "left" => Some(Hand::Left),
            "r" | "right" => Some(Hand::Right),
            _ => None,
        }
    }

    /// The other hand.
    pub fn other(self) -> Hand {
        match self {
            Hand::Left => Hand::Right,
            Hand::Right => Hand::Left,
        }
    }
}

/// Which side of the hand faces the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Dorsal,
    Palmar,
}

impl View {
    /// The manifest's code: `dorsal` or `palmar`.
    pub fn code(self) -> &'static str {
        match self {
            View::Dorsal => "dorsal",
            View::Palmar => "palmar",
        }
    }

    /// `dorsal`/`d`/`back` or `palmar`/`p`/`palm`, any case.
    pub fn parse(s: &str) -> Option<View> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dorsal" | "d" | "back" => Some(View::Dorsal),
            "palmar" | "p" | "palm" => Some(View::Palmar),
            _ => None,
        }
    }
}
