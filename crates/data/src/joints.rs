//! The joints the classifier judges, and where they sit among MediaPipe's 21 hand landmarks.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A hand joint assessed for inflammation (the joints of RA activity scores that a photo shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")] // "MCP1", "IP", "WRIST": the names of `Joint::name`
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum Joint {
    Mcp1,
    Mcp2,
    Mcp3,
    Mcp4,
    Mcp5,
    Pip2,
    Pip3,
    Pip4,
    Pip5,
    /// Thumb interphalangeal joint.
    Ip,
    Wrist,
}

impl Joint {
    /// Every joint, in the order of [`Joint::index`].
    pub const ALL: [Joint; 11] =
        [Joint::Mcp1, Joint::Mcp2, Joint::Mcp3, Joint::Mcp4, Joint::Mcp5, Joint::Pip2, Joint::Pip3, Joint::Pip4, Joint::Pip5, Joint::Ip, Joint::Wrist];
    /// Number of joints.
    pub const COUNT: usize = 11;

    /// Stable index (0..11), used as the model's joint-identity input.
    pub fn index(self) -> usize {
        Joint::ALL.iter().position(|j| *j == self).expect("joint in ALL")
    }

    /// Canonical name as written in manifests ("MCP1", "PIP3", "IP", "WRIST").
    pub fn name(self) -> &'static str {
        match self {
            Joint::Mcp1 => "MCP1",
            Joint::Mcp2 => "MCP2",
            Joint::Mcp3 => "MCP3",
            Joint::Mcp4 => "MCP4",
            Joint::Mcp5 => "MCP5",
            Joint::Pip2 => "PIP2",
            Joint::Pip3 => "PIP3",
            Joint::Pip4 => "PIP4",
            Joint::Pip5 => "PIP5",
            Joint::Ip => "IP",
            Joint::Wrist => "WRIST",
        }
    }

    /// Index of this joint among MediaPipe's 21 hand landmarks.
    pub fn landmark(self) -> usize {
        match self {
            Joint::Wrist => 0,
            Joint::Mcp1 => 2,
            Joint::Ip => 3,
            Joint::Mcp2 => 5,
            Joint::Pip2 => 6,
            Joint::Mcp3 => 9,
            Joint::Pip3 => 10,
            Joint::Mcp4 => 13,
            Joint::Pip4 => 14,
            Joint::Mcp5 => 17,
            Joint::Pip5 => 18,
        }
    }
}

impl fmt::Display for Joint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name was not one of the joint names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown joint name {0:?} (expected one of MCP1-MCP5, PIP2-PIP5, IP, WRIST)")]
pub struct UnknownJoint(pub String);

impl FromStr for Joint {
    type Err = UnknownJoint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_uppercase();
        let t = match t.as_str() {
            "THUMB_IP" | "IP1" => "IP",
            other => other,
        };
        Joint::ALL.iter().copied().find(|j| j.name() == t).ok_or_else(|| UnknownJoint(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_the_joint_names() {
        for j in Joint::ALL {
            let json = serde_json::to_string(&j).unwrap();
            assert_eq!(json, format!("\"{}\"", j.name()));
            assert_eq!(serde_json::from_str::<Joint>(&json).unwrap(), j);
        }
    }

    #[test]
    fn names_round_trip_and_landmarks_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for (i, j) in Joint::ALL.iter().enumerate() {
            assert_eq!(j.index(), i);
            assert_eq!(j.name().parse::<Joint>().unwrap(), *j);
            assert_eq!(j.name().to_lowercase().parse::<Joint>().unwrap(), *j);
            assert!(seen.insert(j.landmark()));
        }
        assert!("DIP2".parse::<Joint>().is_err());
    }
}
