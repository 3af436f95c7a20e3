//! Joint lists handed in from JavaScript.
use jointscope_data::{Joint, Point};

/// `[{"joint": "MCP2", "x": 1.0, "y": 2.0}, …]` → joints and positions.
pub fn parse_joints(json: &str) -> Result<Vec<(Joint, Point)>, String> {
    #[derive(serde::Deserialize)]
    struct Row {
        joint: String,
        x: f32,
        y: f32,
    }
    let rows: Vec<Row> = serde_json::from_str(json).map_err(|e| format!("joints: {e}"))?;
    rows.into_iter().map(|r| Ok((r.joint.parse::<Joint>().map_err(|e| e.to_string())?, Point::new(r.x, r.y)))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn joint_lists_parse_or_say_why() {
        let j = super::parse_joints(r#"[{"joint": "mcp2", "x": 1.5, "y": 2}, {"joint": "WRIST", "x": 0, "y": 0}]"#).unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!(j[0].0, jointscope_data::Joint::Mcp2);
        assert!(super::parse_joints(r#"[{"joint": "TOE", "x": 1, "y": 2}]"#).unwrap_err().contains("TOE"));
        assert!(super::parse_joints("{").unwrap_err().starts_with("joints:"));
    }
}
